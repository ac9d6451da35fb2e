"""Staff queues and search at scale: p95 server time of the console's pages, in-process
(bench/README.md, issue 6).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kesu_bench1m \\
        python3 -m uv run --frozen python bench/queues.py

Signs in (test client, ``force_login``) as the manager of the department with the most open
complaints and times, ``--reps`` times each after a warm-up, the whole request through
Django's middleware and template (what the server spends; no network):

* ``department p1``: /console/queue/department/ — my department, open, by nearest deadline;
* ``department p500``: the same queue's page 500, after walking the keyset cursors there once
  (``queues.page``, the function the view pages with); when the queue is shorter, its last
  page (the page number reached is reported);
* ``overdue p1``: /console/queue/overdue/;
* ``search``: /console/search/?q=破损 and ?q=外包装破损 (``--terms``), Chinese full text over
  title and description, the customer's name, company and phone, order and waybill numbers
  (a term of two characters has no trigram for the pg_trgm indexes; five characters have).

Each case's SQL is captured once and every SELECT is run again under
``EXPLAIN (ANALYZE, BUFFERS)``; sequential scans of the big tables are listed per case.
Read only, apart from the session row the sign-in writes. Prints a table and writes
``bench/results/queues-<database>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")
os.environ.setdefault("KESU_DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from kesu.accounts.models import Role, User  # noqa: E402
from kesu.complaints import queues  # noqa: E402
from kesu.complaints.models import Complaint  # noqa: E402
from kesu.console.views.queues import PAGE_SIZE  # noqa: E402

RESULTS = ROOT / "bench" / "results"
BIG = (
    "complaints_complaint",
    "complaints_milestone",
    "complaints_event",
    "complaints_customer",
    "complaints_handlinground",
    "complaints_callback",
    "complaints_solution",
)


def pick_manager() -> User:
    top = (
        Complaint.objects.filter(state__in=queues.OPEN_STATES)
        .values("department")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    managers = User.objects.filter(role=Role.MANAGER, is_active=True)
    if top:
        managers = managers.filter(department=top["department"])
    manager = managers.order_by("pk").first()
    if manager is None:
        raise SystemExit("no department manager: run bench/generate.py on this database first")
    return manager


def walk_to(manager: User, pages: int) -> tuple[str | None, int]:
    """The ``after`` cursor of page ``pages`` of the manager's department queue (or of its last
    page), and the page number it leads to."""
    rules = queues.policy_rules()
    qs = queues.QUEUES["department"].complaints(manager, now=timezone.now(), rules=rules)
    after = None
    reached = 1
    for _ in range(pages - 1):
        result = queues.page(qs, limit=PAGE_SIZE, after=after)
        if not result.next:
            break
        after = result.next
        reached += 1
    return after, reached


def explain(sql: str) -> dict:
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(row[0] for row in cur.fetchall())
    seq = sorted(set(re.findall(r"Seq Scan on (\w+)", plan)))
    took = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return {
        "sql": sql[:2000],
        "execution_ms": float(took.group(1)) if took else None,
        "seq_scans": seq,
        "seq_scans_big": [t for t in seq if t in BIG],
        "plan": plan,
    }


def measure(client: Client, url: str, reps: int, warmup: int, budget: float) -> dict:
    """``reps`` timed requests after ``warmup``; a slow case stops after ``budget`` seconds
    (at least 5 timed requests)."""
    started = time.perf_counter()
    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if time.perf_counter() - started > budget / 4:
            break
    times: list[float] = []
    started = time.perf_counter()
    for _ in range(reps):
        t = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200
        if len(times) >= 5 and time.perf_counter() - started > budget:
            break
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    plans = [
        explain(q["sql"])
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("SELECT", "WITH", "("))
    ]
    slowest = sorted(plans, key=lambda p: -(p["execution_ms"] or 0))
    times.sort()
    return {
        "url": url,
        "reps": len(times),
        "p50_ms": statistics.median(times),
        "p95_ms": statistics.quantiles(times, n=20, method="inclusive")[-1],
        "max_ms": times[-1],
        "queries": len(captured.captured_queries),
        "seq_scans_big": sorted({t for p in plans for t in p["seq_scans_big"]}),
        "main_query": slowest[0] if slowest else None,
        "plans": plans,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument(
        "--terms", default="破损,外包装破损", help="search terms, comma-separated (one case each)"
    )
    parser.add_argument("--budget", type=float, default=60, help="seconds per case at most")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("bench/queues.py needs PostgreSQL (set DATABASE_URL)")

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE closed_at IS NULL) FROM complaints_complaint"
        )
        total, open_ = cur.fetchone()
    manager = pick_manager()
    dept_open = (
        queues.QUEUES["department"]
        .complaints(manager, now=timezone.now(), rules=queues.policy_rules())
        .count()
    )
    t = time.perf_counter()
    cursor, reached = walk_to(manager, args.page)
    walk_s = time.perf_counter() - t
    client = Client()
    client.force_login(manager)
    from urllib.parse import quote

    cases = {
        "department p1": "/console/queue/department/",
        f"department p{reached}": "/console/queue/department/?after=" + quote(cursor or ""),
        "overdue p1": "/console/queue/overdue/",
    }
    for term in args.terms.split(","):
        cases[f"search '{term}'"] = "/console/search/?q=" + quote(term)
    results = {}
    for name, url in cases.items():
        results[name] = measure(client, url, args.reps, args.warmup, args.budget)
        r = results[name]
        print(
            f"{name:>22}: p50 {r['p50_ms']:7.1f} ms  p95 {r['p95_ms']:7.1f} ms  ({r['reps']}) "
            f"{r['queries']} queries  seq scans of big tables: {r['seq_scans_big'] or 'none'}",
            file=sys.stderr,
            flush=True,
        )

    db = connection.settings_dict["NAME"]
    out = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{os.cpu_count()} CPUs, {os.uname().nodename}",
        "database": db,
        "complaints": total,
        "open_complaints": open_,
        "manager": manager.username,
        "department_open": dept_open,
        "page_reached": reached,
        "walk_seconds": walk_s,
        "target_p95_ms": 50,
        "cases": results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"queues-{db}.json"
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False, default=str))

    print(
        f"\n{total:,} complaints ({open_:,} open); {manager.username}'s department has "
        f"{dept_open:,} open; up to {args.reps} requests per case (whole view, in-process)"
    )
    print(
        "| case | p50 ms | p95 ms | target p95 < 50 ms | queries | main query ms | "
        "seq scan of complaints_complaint |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        main_ms = r["main_query"]["execution_ms"] if r["main_query"] else None
        seq = "complaints_complaint" in r["seq_scans_big"]
        print(
            f"| {name} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
            f"{'met' if r['p95_ms'] < 50 else 'missed'} | {r['queries']} | "
            f"{main_ms if main_ms is not None else '-'} | {'YES' if seq else 'no'} |"
        )
    print("\nSequential scans of big tables, per case:")
    for name, r in results.items():
        print(f"  {name}: {', '.join(r['seq_scans_big']) or 'none'}")
        mq = r["main_query"]
        if mq:
            nodes = [ln.strip() for ln in mq["plan"].splitlines() if "Scan" in ln][:6]
            print(f"    slowest query {mq['execution_ms']} ms: " + " | ".join(nodes))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
