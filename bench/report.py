"""The monthly KPIs and the whole monthly report on a generated database (bench/README.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kesu_bench \\
        python3 -m uv run --frozen python bench/report.py --month 2026-10

First runs the daily snapshot job (``refresh_snapshots``, once; ``--no-refresh`` skips it)
and times the trend's 11 earlier months computed live (what a report pays without
snapshots). Measures, each ``--repeat`` times (median and best reported): ``kpi_summary`` for
the month, ``build_monthly_report`` (the data of every section), and the rendered PDF and
XLSX. Counts the SQL queries of each, and runs EXPLAIN (ANALYZE, BUFFERS) on every query of
the KPIs and the report, flagging any sequential scan of the big tables and listing the
slowest queries with their scans (``--slowest N``). Prints a table and writes JSON to
``bench/results/report-<month>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone, translation  # noqa: E402

from kesu.analysis.kpis import active_doc, kpi_summary  # noqa: E402
from kesu.analysis.periods import Period  # noqa: E402
from kesu.analysis.report import build_monthly_report  # noqa: E402
from kesu.analysis.snapshots import compute_months, refresh_snapshots  # noqa: E402
from kesu.reports.rendering import render_pdf  # noqa: E402
from kesu.reports.sections import build_document  # noqa: E402
from kesu.reports.workbook import render_xlsx  # noqa: E402

BIG_TABLES = (
    "complaints_complaint",
    "complaints_milestone",
    "complaints_callback",
    "complaints_event",
    "complaints_handlinground",
)
RESULTS = Path(__file__).resolve().parent / "results"


def timed(func, repeat: int) -> tuple[list[float], int, list[str], object]:
    """Seconds of each run, the query count of the last run, its SQL, and its result."""
    seconds = []
    result = None
    queries: list[str] = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            result = func()
            seconds.append(time.perf_counter() - started)
        queries = [q["sql"] for q in ctx.captured_queries]
    return seconds, len(queries), queries, result


def explain(queries: list[str]) -> list[dict[str, object]]:
    """EXPLAIN (ANALYZE, BUFFERS) of each SELECT of ``queries``: its execution time, the scans
    of its plan (table and how: Seq Scan, Index Scan using …, Bitmap Heap Scan …) and any
    sequential scan of the big tables."""
    found = []
    with connection.cursor() as cur:
        for sql in queries:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH", "(SELECT")):
                continue
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
            plan = cur.fetchone()[0][0]
            scans, seq = [], []
            for node in _nodes(plan["Plan"]):
                kind = node.get("Node Type", "")
                if not kind.endswith("Scan") or "Relation Name" not in node:
                    continue
                how = kind + (f" using {node['Index Name']}" if node.get("Index Name") else "")
                scans.append(f"{node['Relation Name']}: {how}")
                if kind == "Seq Scan" and node["Relation Name"] in BIG_TABLES:
                    seq.append({"table": node["Relation Name"], "rows": node.get("Actual Rows")})
            found.append(
                {
                    "ms": plan.get("Execution Time"),
                    "scans": sorted(set(scans)),
                    "seq_scans": seq,
                    "sql": sql[:200],
                }
            )
    return found


def seq_scans(plans: list[dict[str, object]]) -> list[dict[str, object]]:
    """Sequential scans of the big tables in ``plans`` (from :func:`explain`)."""
    return [
        {"table": s["table"], "rows": s["rows"], "ms": p["ms"], "sql": p["sql"]}
        for p in plans
        for s in p["seq_scans"]
    ]


def _nodes(node: dict) -> list[dict]:
    out = [node]
    for child in node.get("Plans", []):
        out.extend(_nodes(child))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--slowest", type=int, default=10, help="list the N slowest queries")
    parser.add_argument(
        "--no-refresh", action="store_true", help="do not run the daily snapshot job first"
    )
    parser.add_argument("--no-files", action="store_true", help="skip the PDF and XLSX")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("bench/report.py measures PostgreSQL (set DATABASE_URL)")
    translation.activate("zh-hans")
    period = Period.parse_month(args.month)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM complaints_complaint")
        table = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM complaints_complaint"
            " WHERE received_at >= %s AND received_at < %s",
            [period.start, period.end],
        )
        in_month = cur.fetchone()[0]

    rows = []
    if not args.no_refresh:
        # The daily job (worker, "daily 02:30"): the trend's snapshots of the ended months,
        # recomputed where missing or not settled; the report then reads them.
        ref_s, ref_q, _, refreshed = timed(lambda: refresh_snapshots(), 1)
        rows.append(("refresh_snapshots", ref_s, ref_q))
        print(f"refresh_snapshots: {refreshed}")
    # What the trend costs without snapshots: the 11 months before, computed live (read only).
    months = period.previous_months(12)[:-1]
    min_rating = active_doc().callback.satisfied_min_rating
    live_s, live_q, _, _ = timed(
        lambda: compute_months(months, now=timezone.now(), min_rating=min_rating), 1
    )
    rows.append(("trend_live_11_months", live_s, live_q))
    kpi_s, kpi_q, kpi_sql, _ = timed(lambda: kpi_summary(period), args.repeat)
    rows.append(("kpi_summary", kpi_s, kpi_q))
    data_s, data_q, data_sql, report = timed(lambda: build_monthly_report(period), args.repeat)
    rows.append(("build_monthly_report", data_s, data_q))
    sizes = {}
    if not args.no_files:
        doc_s, _, _, doc = timed(lambda: build_document(report), 1)
        pdf_s, _, _, pdf = timed(lambda: render_pdf(doc), args.repeat)
        xlsx_s, _, _, xlsx = timed(lambda: render_xlsx(doc), args.repeat)
        # The whole PDF: the data, the document and the rendering, as the worker does it.
        whole = [d + doc_s[0] + p for d, p in zip(data_s, pdf_s, strict=True)]
        rows += [("render_pdf", pdf_s, 0), ("render_xlsx", xlsx_s, 0), ("whole_pdf", whole, data_q)]
        sizes = {"pdf_bytes": len(pdf), "xlsx_bytes": len(xlsx)}
    plans = {"kpi_summary": explain(kpi_sql), "build_monthly_report": explain(data_sql)}
    scans = {step: seq_scans(found) for step, found in plans.items()}

    print(f"complaints in table: {table:,}   in {args.month}: {in_month:,}")
    print(f"{'step':<22}{'median s':>10}{'best s':>10}{'queries':>9}")
    for name, seconds, queries in rows:
        print(f"{name:<22}{statistics.median(seconds):>10.3f}{min(seconds):>10.3f}{queries:>9}")
    for step, found in scans.items():
        print(f"sequential scans of big tables in {step}: {len(found)}")
        for scan in found:
            print(f"  {scan['table']} ({scan['rows']} rows, {scan['ms']} ms): {scan['sql']}")
    slowest = sorted(
        ((p, step) for step, found in plans.items() for p in found),
        key=lambda pair: -(pair[0]["ms"] or 0),
    )[: args.slowest]
    print(f"slowest {len(slowest)} queries (EXPLAIN ANALYZE ms):")
    for p, step in slowest:
        print(f"  {p['ms']:>9.1f} ms  {step}: {'; '.join(p['scans'])}")
        print(f"             {p['sql'][:160]}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"report-{args.month}.json"
    out.write_text(
        json.dumps(
            {
                "month": args.month,
                "complaints_total": table,
                "complaints_in_month": in_month,
                "steps": {
                    name: {
                        "median_s": statistics.median(seconds),
                        "best_s": min(seconds),
                        "queries": queries,
                    }
                    for name, seconds, queries in rows
                },
                "seq_scans": scans,
                "plans": plans,
                **sizes,
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    print(f"written {out}")


if __name__ == "__main__":
    main()
