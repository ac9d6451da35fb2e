"""The SLA sweep at scale: one ``sweep_deadlines`` pass over a controlled number of due
milestones, in tables of different sizes (bench/README.md, issue 6).

    python3 -m uv run --frozen python bench/sweep.py \\
        --databases kesu_sweep200k,kesu_sweep1m --due 1000,10000

The databases are made with ``bench/generate.py --open-share 1`` (every complaint open, about
1.5 open milestones each). Connects to each in turn (same server and user as DATABASE_URL,
else postgres@127.0.0.1) and:

1. settles it once (committed): open milestones whose warning or due time has passed are
   marked warned / breached and escalated as a finished sweep would leave them, so nothing is
   due (the generator marks past-due ones breached already; this catches the rest);
2. for each due count N and repetition, inside one transaction that is rolled back after:
   settles again (what became due since), marks one open milestone of N open complaints
   spread over the table due (``due_at`` 10 minutes ago, ``warn_at`` 20 minutes ago, not
   warned, breached or escalated), checks that exactly N are due, then times one
   ``sweep_deadlines()`` (breaches, events, outbox rows, notifications: all the work) and
   counts its SQL statements. The rollback gives every run the same state.

Prints a table and writes ``bench/results/sweep.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")
os.environ.setdefault("KESU_DEBUG", "0")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kesu_sweep1m")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from kesu.complaints.services.sweep import sweep_deadlines  # noqa: E402

RESULTS = ROOT / "bench" / "results"

SETTLE = [
    # Past the warning time, not warned: warned (as the sweep's warn step leaves them).
    """UPDATE complaints_milestone SET warned_at = %(now)s
       WHERE status = 'open' AND breached_at IS NULL AND warned_at IS NULL
         AND warn_at <= %(now)s""",
    # Past due, not breached: breached and escalated (as the breach step leaves them).
    """UPDATE complaints_milestone SET breached_at = due_at, escalated_at = %(now)s
       WHERE status = 'open' AND breached_at IS NULL AND due_at <= %(now)s""",
]
DUE_COUNT = """
    SELECT
      (SELECT count(*) FROM complaints_milestone WHERE status = 'open'
         AND breached_at IS NULL AND escalated_at IS NULL AND due_at <= %(now)s),
      (SELECT count(*) FROM complaints_milestone WHERE status = 'open'
         AND breached_at IS NULL AND warned_at IS NULL AND warn_at <= %(now)s)
"""
MARK = """
    UPDATE complaints_milestone m
    SET due_at = %(now)s - interval '10 minutes', warn_at = %(now)s - interval '20 minutes',
        warned_at = NULL, breached_at = NULL, escalated_at = NULL
    FROM (
        SELECT DISTINCT ON (complaint_id) id FROM complaints_milestone
        WHERE status = 'open' AND complaint_id %% %(stride)s = 0
        ORDER BY complaint_id, id
        LIMIT %(n)s
    ) AS picked
    WHERE m.id = picked.id
"""


def use_database(name: str) -> None:
    connection.close()
    connection.settings_dict["NAME"] = name


def sizes() -> dict[str, int]:
    with connection.cursor() as cur:
        cur.execute(
            """SELECT (SELECT count(*) FROM complaints_complaint),
                      (SELECT count(*) FROM complaints_complaint WHERE closed_at IS NULL),
                      (SELECT count(*) FROM complaints_milestone),
                      (SELECT count(*) FROM complaints_milestone WHERE status = 'open')"""
        )
        total, open_, milestones, open_ms = cur.fetchone()
    return {
        "complaints": total,
        "open_complaints": open_,
        "milestones": milestones,
        "open_milestones": open_ms,
    }


def settle(cur, now) -> int:
    changed = 0
    for sql in SETTLE:
        cur.execute(sql, {"now": now})
        changed += cur.rowcount
    return changed


def one_run(n: int, open_complaints: int) -> dict:
    statements = 0
    by_sql: dict[str, list[float]] = {}

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            by_sql.setdefault(" ".join(sql.split())[:140], []).append(time.perf_counter() - t)

    with transaction.atomic():
        now = timezone.now()
        with connection.cursor() as cur:
            settle(cur, now)
            stride = max(1, open_complaints // (n * 2))
            cur.execute(MARK, {"now": now, "n": n, "stride": stride})
            marked = cur.rowcount
            cur.execute(DUE_COUNT, {"now": now})
            due, warn_due = cur.fetchone()
        t = time.perf_counter()
        with connection.execute_wrapper(count):
            result = sweep_deadlines(now=now)
        seconds = time.perf_counter() - t
        with connection.cursor() as cur:
            cur.execute(DUE_COUNT, {"now": now})
            left = cur.fetchone()
        transaction.set_rollback(True)
    return {
        "marked": marked,
        "due_before": due,
        "warn_due_before": warn_due,
        "left_after": list(left),
        "seconds": seconds,
        "breached": result.breached,
        "warned": result.warned,
        "executive": result.executive,
        "statements": statements,
        "sql_seconds": sum(sum(v) for v in by_sql.values()),
        "top_sql": [
            {"sql": k, "count": len(v), "seconds": sum(v)}
            for k, v in sorted(by_sql.items(), key=lambda kv: -sum(kv[1]))[:8]
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", default="kesu_sweep200k,kesu_sweep1m")
    parser.add_argument("--due", default="1000,10000")
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("bench/sweep.py needs PostgreSQL")
    server = urlparse(os.environ["DATABASE_URL"])
    dues = [int(x) for x in args.due.split(",")]
    out: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{os.cpu_count()} CPUs, {os.uname().nodename}",
        "server": f"{server.hostname}:{server.port}",
        "target": "< 5 s for 10,000 due at 1,000,000 open complaints",
        "databases": {},
    }
    rows = []
    for db in args.databases.split(","):
        use_database(db)
        size = sizes()
        with transaction.atomic(), connection.cursor() as cur:
            t = time.perf_counter()
            settled = settle(cur, timezone.now())
            settle_s = time.perf_counter() - t
        print(
            f"{db}: {size['complaints']:,} complaints, {size['open_complaints']:,} open, "
            f"{size['open_milestones']:,} open milestones; settled {settled:,} "
            f"({settle_s:.1f} s)",
            file=sys.stderr,
            flush=True,
        )
        runs = {}
        for n in dues:
            reps = [one_run(n, size["open_complaints"]) for _ in range(args.reps)]
            for r in reps:
                print(
                    f"  due {n:>6,}: {r['seconds']:6.2f} s  breached {r['breached']:,} "
                    f"statements {r['statements']:,} (due before {r['due_before']:,}, "
                    f"left {r['left_after']}; SQL {r['sql_seconds']:.1f} s)",
                    file=sys.stderr,
                    flush=True,
                )
            med = statistics.median(r["seconds"] for r in reps)
            runs[n] = {"median_s": med, "best_s": min(r["seconds"] for r in reps), "runs": reps}
            rows.append((db, size, n, med, runs[n]["best_s"], reps[0]))
        out["databases"][db] = {"size": size, "settled": settled, "runs": runs}
    connection.close()

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "sweep.json"
    path.write_text(json.dumps(out, indent=2, default=str))
    print(f"\nOne sweep_deadlines() pass, median of {args.reps} (each on a rolled-back copy)")
    print(
        "| database | complaints (open) | open milestones | due | sweep s (median) | best | "
        "ms per due | SQL statements |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for db, size, _n, med, best, first in rows:
        print(
            f"| {db} | {size['complaints']:,} ({size['open_complaints']:,}) | "
            f"{size['open_milestones']:,} | {first['due_before']:,} | {med:.2f} | {best:.2f} | "
            f"{1000 * med / max(first['due_before'], 1):.2f} | {first['statements']:,} |"
        )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
