"""Fill a PostgreSQL database with N complaints for the benchmarks (bench/README.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kesu_bench \\
        python3 -m uv run --frozen python bench/generate.py --complaints 2000000 --months 20

The rows are made by PostgreSQL itself (``INSERT … SELECT`` over ``generate_series``, in
chunks) from the active policy's categories, departments, levels, milestones and root causes,
with Chinese titles and descriptions assembled from realistic phrases, customers, handling
rounds, milestones met on time or late, callbacks with ratings, and a timeline (created and
closed events). Nothing goes through Python row by row, so two million complaints load in
minutes. The secondary indexes of the big tables are dropped during the load and built again
after it (one bulk build is much cheaper than millions of index updates), then ANALYZE.

Complaints are spread evenly over ``--months`` calendar months ending with ``--last-month``
(default: the month before the current one), so ``--complaints 2000000 --months 20`` puts
100,000 in each month. Older complaints are closed (a few rejected); the last 30 days keep a
realistic mix of open states, some overdue. ``random()`` is seeded: the same arguments give
the same data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from phrases import COMPANIES, DEMANDS, GIVEN, MIDDLES, OPENINGS, SURNAMES  # noqa: E402

from kesu.accounts.models import Department, Role, User  # noqa: E402
from kesu.policy.loader import active_policy, policy_load  # noqa: E402

BIG_TABLES = (
    "complaints_complaint",
    "complaints_milestone",
    "complaints_event",
    "complaints_handlinground",
    "complaints_callback",
    "complaints_customer",
)


def sql_array(values: list[str]) -> str:
    quoted = ",".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"ARRAY[{quoted}]::text[]"


def pick(array_sql: str) -> str:
    """A random element of a SQL array literal (PostgreSQL arrays start at 1)."""
    return f"({array_sql})[1 + floor(random() * cardinality({array_sql}))::int]"


def month_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day.replace(day=1), dt.time()))


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)


def ensure_people(departments: list[Department]) -> dict[int, list[int]]:
    """Five handlers and a manager per department, ten agents; returns handler ids by dept."""
    handlers: dict[int, list[int]] = {}
    for dept in departments:
        ids = []
        for i in range(5):
            user, _ = User.objects.get_or_create(
                username=f"bench_h_{dept.code}_{i}",
                defaults={"role": Role.HANDLER, "department": dept, "display_name": f"处理人{i}"},
            )
            ids.append(user.pk)
        User.objects.get_or_create(
            username=f"bench_m_{dept.code}",
            defaults={"role": Role.MANAGER, "department": dept, "display_name": "部门经理"},
        )
        handlers[dept.pk] = ids
    for i in range(10):
        User.objects.get_or_create(
            username=f"bench_agent_{i}", defaults={"role": Role.AGENT, "display_name": f"客服{i}"}
        )
    return handlers


def drop_indexes(cursor) -> list[str]:
    """Drop the secondary (non-unique, non-constraint) indexes of the big tables."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = ANY(%s) AND i.indexdef NOT LIKE 'CREATE UNIQUE%%'
        """,
        [list(BIG_TABLES)],
    )
    found = cursor.fetchall()
    for name, _ in found:
        cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    return [definition for _, definition in found]


def generate(args: argparse.Namespace) -> dict[str, float]:
    if connection.vendor != "postgresql":
        raise SystemExit("bench/generate.py needs PostgreSQL (set DATABASE_URL)")
    figures: dict[str, float] = {}
    started = time.monotonic()
    call_command("migrate", verbosity=0)
    policy_row = active_policy() if args.keep_policy else policy_load(args.preset)
    doc = policy_row.doc
    departments = list(Department.objects.filter(code__in=[d.code for d in doc.departments]))
    dept_by_code = {d.code: d for d in departments}
    handlers = ensure_people(departments)

    categories = [c for c in doc.categories if c.department in dept_by_code]
    cat_codes = [c.code for c in categories]
    cat_depts = [str(dept_by_code[c.department].pk) for c in categories]
    cat_names = [c.name for c in categories]
    levels = [lv.code for lv in sorted(doc.levels, key=lambda lv: lv.rank)]
    top, rest = levels[0], levels[-1]
    causes = [r.code for r in doc.root_causes]
    channels = [c for c in doc.channels if c != "platform_12315"] or doc.channels
    # Handlers of each department as a 2-D array indexed by the category's position.
    handler_rows = ",".join(
        "ARRAY[" + ",".join(str(h) for h in handlers[int(d)]) + "]" for d in cat_depts
    )

    last = args.last_month or add_months(month_start(timezone.localdate()), -1)
    first = add_months(last, -(args.months - 1))
    end = add_months(last, 1)
    span = (end - first).total_seconds()
    now = timezone.now()
    n = args.complaints
    customers = max(n // 5, 1)

    with connection.cursor() as cur:
        cur.execute("SELECT setseed(%s)", [args.seed])
        cur.execute("SELECT coalesce(max(id), 0) FROM complaints_complaint")
        base = cur.fetchone()[0]
        cur.execute("SELECT coalesce(max(id), 0) FROM complaints_customer")
        customer_base = cur.fetchone()[0]
        definitions = drop_indexes(cur)
        figures["indexes_dropped"] = len(definitions)

        t = time.monotonic()
        surname = pick(sql_array(list(SURNAMES)))
        given = pick(sql_array(GIVEN))
        company = pick(sql_array(COMPANIES))
        cur.execute(
            f"""
            INSERT INTO complaints_customer
                (name, company, phone, email, created_at, language, user_id, account_id)
            SELECT {surname} || {given},
                   CASE WHEN random() < 0.6 THEN {company} ELSE '' END,
                   '13' || lpad((g::bigint * 7919 %% 1000000000)::text, 9, '0'),
                   'c' || g || '@example.cn', %s, 'zh-hans', NULL, NULL
            FROM generate_series(1, %s) g
            """,
            [first, customers],
        )
        figures["customers_s"] = time.monotonic() - t
        # The new customers' ids (contiguous: one INSERT in one session), whatever the
        # sequence went through before.
        cur.execute("SELECT min(id) FROM complaints_customer WHERE id > %s", [customer_base])
        customer_first = cur.fetchone()[0]

        t = time.monotonic()
        chunk = args.chunk
        for start in range(1, n + 1, chunk):
            stop = min(start + chunk - 1, n)
            cur.execute(
                _complaints_sql(
                    cat_codes,
                    cat_depts,
                    cat_names,
                    handler_rows,
                    top,
                    rest,
                    causes,
                    channels,
                    open_share=args.open_share,
                ),
                {
                    "start": start,
                    "stop": stop,
                    "n": n,
                    "base": base,
                    "first": first,
                    "span": span,
                    "now": now,
                    "recent": now - dt.timedelta(days=30),
                    "policy": policy_row.pk,
                    "customers": customers,
                    "customer_first": customer_first,
                },
            )
            print(f"complaints {stop:,}/{n:,}", file=sys.stderr, flush=True)
        figures["complaints_s"] = time.monotonic() - t

        t = time.monotonic()
        cur.execute(
            """
            INSERT INTO complaints_handlinground
                (complaint_id, number, started_at, reason, resolved_at, closed_at,
                 outcome_rating, process_rating, satisfied)
            SELECT id, 1, received_at, '', closed_at - interval '1 hour', closed_at,
                   NULL, NULL, NULL
            FROM complaints_complaint WHERE id > %s
            """,
            [base],
        )
        figures["rounds_s"] = time.monotonic() - t

        t = time.monotonic()
        for rule in doc.milestones:
            minutes = {lv: doc.milestone_minutes(rule, lv, urgent=False) for lv in levels}
            cases = " ".join(
                f"WHEN '{lv}' THEN {m * 60}" for lv, m in minutes.items() if m is not None
            )
            if not cases:
                continue
            cur.execute(
                _milestones_sql(cases),
                {
                    "base": base,
                    "kind": rule.kind,
                    "name": rule.name,
                    "clock": rule.clock,
                    "pausable": rule.pausable,
                    "now": now,
                },
            )
        figures["milestones_s"] = time.monotonic() - t

        t = time.monotonic()
        cur.execute(
            """
            INSERT INTO complaints_callback
                (complaint_id, round_id, at, method, reached, outcome_rating, process_rating,
                 accepted, notes, by_id)
            SELECT c.id, r.id, c.closed_at - interval '30 minutes', 'phone', true,
                   (ARRAY[5,5,5,4,4,4,3,2,1])[1 + floor(random() * 9)::int],
                   (ARRAY[5,5,4,4,4,3,3,2])[1 + floor(random() * 8)::int],
                   true, '', NULL
            FROM complaints_complaint c JOIN complaints_handlinground r ON r.complaint_id = c.id
            WHERE c.id > %s AND c.state = 'closed' AND random() < 0.85
            """,
            [base],
        )
        cur.execute(
            """
            INSERT INTO complaints_event
                (complaint_id, round_no, kind, action, from_state, to_state, at, data,
                 visible_to_customer, actor_id, seq, hash)
            WITH c AS (
                SELECT id, received_at, closed_at, state, handler_id,
                       encode(sha256(convert_to(
                           '|' || id || '|1|1|created|create||received||'
                           || to_char(received_at AT TIME ZONE 'UTC', %(utc)s) || '|1|{}',
                           'UTF8')), 'hex') AS h1
                FROM complaints_complaint WHERE id > %(base)s
            )
            SELECT id, 1, 'created', 'create', '', 'received', received_at, '{}'::jsonb, true,
                   NULL, 1, h1
            FROM c
            UNION ALL
            SELECT id, 1, 'transition', 'record_callback', 'pending_callback', state,
                   closed_at, '{}'::jsonb, true, handler_id, 2,
                   encode(sha256(convert_to(
                       h1 || '|' || id || '|2|1|transition|record_callback|pending_callback|'
                       || state || '|' || coalesce(handler_id::text, '') || '|'
                       || to_char(closed_at AT TIME ZONE 'UTC', %(utc)s) || '|1|{}',
                       'UTF8')), 'hex')
            FROM c WHERE closed_at IS NOT NULL
            """,
            # Sealed as kesu.complaints.audit.digest seals them (`kesu audit verify` passes).
            {"base": base, "utc": 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'},
        )
        figures["callbacks_events_s"] = time.monotonic() - t

        t = time.monotonic()
        # Foreign keys are checked at commit (deferred): check them now, or PostgreSQL refuses
        # to build indexes on tables with pending checks.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        figures["fk_checks_s"] = time.monotonic() - t
        t = time.monotonic()
        for definition in definitions:
            cur.execute(definition)
        figures["indexes_s"] = time.monotonic() - t
        t = time.monotonic()
        for table in BIG_TABLES:
            cur.execute(f"ANALYZE {table}")
        figures["analyze_s"] = time.monotonic() - t
        cur.execute("SELECT count(*) FROM complaints_complaint")
        figures["complaints_total"] = cur.fetchone()[0]
    figures["total_s"] = time.monotonic() - started
    return figures


def _complaints_sql(
    cat_codes: list[str],
    cat_depts: list[str],
    cat_names: list[str],
    handler_rows: str,
    top: str,
    rest: str,
    causes: list[str],
    channels: list[str],
    *,
    open_share: float = 0.0,
) -> str:
    # One random category index per row (in a subquery), used for code, name, department and
    # handler so the four agree. ``open_share`` > 0 keeps that share of the complaints open
    # whatever their age (the SLA sweep's bench); its extra random() is only drawn then, so
    # the default data stay the same for the same seed.
    open_pick = (
        f"WHEN r_open < {float(open_share)!r} THEN (ARRAY['received', 'assigned', "
        "'investigating', 'investigating', 'awaiting_customer', 'resolving', "
        "'pending_callback'])[1 + floor(r * 7)::int]"
        if open_share > 0
        else ""
    )
    r_open = ",\n               random() AS r_open" if open_share > 0 else ""
    return f"""
    INSERT INTO complaints_complaint (
        number, state, version, channel, platform_case_no, received_at, recorded_at, category,
        level, urgent, suggested_level, suggested_category, suggested_urgent, suggestion_reasons,
        title, description, demand, claimed_amount, order_no, waybill_no, contract_no, goods,
        origin, destination, product, batch_no, incident_at, incident_place, findings,
        root_cause, root_cause_text, round_no, reopen_count, is_repeat, is_overdue,
        breach_count, next_due_at, rejection_reason, rejection_recourse, closed_at,
        close_reason, portal_token, created_at, updated_at, department_id, handler_id,
        merged_into_id, policy_id, received_by_id, customer_id, external_ref,
        first_response_at, first_response_seconds, resolution_at, resolution_seconds)
    SELECT
        'BN-' || to_char(received_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-'
            || lpad(g::text, 8, '0'),
        state, 1, channel, '', received_at, received_at,
        ({sql_array(cat_codes)})[ci], level, level = '{top}', level,
        ({sql_array(cat_codes)})[ci], level = '{top}', '[]'::jsonb,
        ({sql_array(cat_names)})[ci] || '：' || left(opening, 40),
        opening || '，' || middle || demand, demand, NULL,
        'SO' || lpad((g::bigint * 37 %% 100000000)::text, 8, '0'),
        'YT' || lpad((g::bigint * 53 %% 1000000000)::text, 10, '0'),
        '', '', '', '', '', '', NULL, '', '',
        CASE WHEN state = 'closed' THEN {pick(sql_array(causes))} ELSE '' END,
        '', 1, CASE WHEN random() < 0.03 THEN 1 ELSE 0 END, random() < 0.05,
        state NOT IN ('closed', 'rejected') AND received_at < %(now)s - interval '3 days',
        0,
        CASE WHEN state IN ('closed', 'rejected') THEN NULL
             ELSE received_at + interval '3 days' END,
        CASE WHEN state = 'rejected' THEN '不属于投诉受理范围' ELSE '' END, '',
        CASE WHEN state IN ('closed', 'rejected') THEN received_at + resolve_after END,
        CASE WHEN state = 'rejected' THEN 'rejected' WHEN state = 'closed' THEN 'satisfied'
             ELSE '' END,
        md5(g::text || 'kesu-bench'), received_at, received_at,
        ({sql_array(cat_depts)})[ci]::bigint,
        (ARRAY[{handler_rows}])[ci][1 + floor(random() * 5)::int],
        NULL, %(policy)s, NULL,
        %(customer_first)s + floor(random() * %(customers)s)::bigint, '',
        received_at + make_interval(secs => first_response),
        first_response,
        CASE WHEN state = 'closed' THEN received_at + resolve_after - interval '2 hours' END,
        CASE WHEN state = 'closed'
             THEN greatest(extract(epoch FROM resolve_after)::int / 3 - 7200, 600) END
    FROM (
        SELECT g,
               1 + floor(random() * {len(cat_codes)})::int AS ci,
               %(first)s::timestamptz
                   + make_interval(secs => (g - 1)::float8 * %(span)s / %(n)s
                                           + random() * 60) AS received_at,
               CASE WHEN random() < 0.1 THEN '{top}' ELSE '{rest}' END AS level,
               {pick(sql_array(channels))} AS channel,
               {pick(sql_array(OPENINGS))} AS opening,
               {pick(sql_array(MIDDLES))} AS middle,
               {pick(sql_array(DEMANDS))} AS demand,
               (60 + floor(random() * random() * 28800))::int AS first_response,
               make_interval(hours => 2 + floor(random() * random() * 240)::int) AS resolve_after,
               random() AS r{r_open}
        FROM generate_series(%(start)s, %(stop)s) g
    ) AS picked
    CROSS JOIN LATERAL (
        SELECT CASE
            {open_pick}
            WHEN received_at < %(recent)s THEN
                CASE WHEN r < 0.02 THEN 'rejected' ELSE 'closed' END
            ELSE (ARRAY['received', 'assigned', 'investigating', 'investigating',
                        'awaiting_customer', 'resolving', 'pending_callback', 'closed',
                        'closed', 'closed'])[1 + floor(r * 10)::int]
        END AS state
    ) AS s
    """


def _milestones_sql(cases: str) -> str:
    # Met on time about 88 % of the time; the rest late. Open complaints keep their later
    # milestones open (some past due: the overdue queue's work).
    return f"""
    INSERT INTO complaints_milestone (
        complaint_id, round_id, kind, name, clock, pausable, status, started_at,
        duration_seconds, extension_seconds, paused_seconds, paused_at, due_at, original_due_at,
        warn_at, warned_at, met_at, breached_at, escalated_at)
    SELECT c.id, r.id, %(kind)s, %(name)s, %(clock)s, %(pausable)s,
           CASE WHEN c.closed_at IS NULL AND x.late_or_open THEN 'open' ELSE 'met' END,
           c.received_at, x.secs, 0, 0, NULL,
           c.received_at + make_interval(secs => x.secs), NULL,
           c.received_at + make_interval(secs => x.secs * 0.8), NULL,
           CASE WHEN c.closed_at IS NULL AND x.late_or_open THEN NULL
                WHEN x.late THEN c.received_at + make_interval(secs => x.secs * 1.5)
                ELSE c.received_at + make_interval(secs => x.secs * random()) END,
           CASE WHEN x.late OR (c.closed_at IS NULL AND x.late_or_open
                                AND c.received_at + make_interval(secs => x.secs) < %(now)s)
                THEN c.received_at + make_interval(secs => x.secs) END,
           NULL
    FROM complaints_complaint c
    JOIN complaints_handlinground r ON r.complaint_id = c.id
    CROSS JOIN LATERAL (
        SELECT (CASE c.level {cases} END)::int AS secs,
               random() < 0.12 AS late,
               random() < 0.5 AS late_or_open
    ) AS x
    WHERE c.id > %(base)s AND x.secs IS NOT NULL AND c.state <> 'rejected'
    """


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument(
        "--last-month", type=lambda s: month_start(dt.date.fromisoformat(s + "-01"))
    )
    parser.add_argument("--preset", default="logistics")
    parser.add_argument("--keep-policy", action="store_true", help="use the active policy")
    parser.add_argument("--chunk", type=int, default=200_000)
    parser.add_argument("--seed", type=float, default=0.42)
    parser.add_argument(
        "--open-share",
        type=float,
        default=0.0,
        help="keep this share of the complaints open whatever their age (0-1; sweep bench)",
    )
    args = parser.parse_args()
    with transaction.atomic():
        figures = generate(args)
    for key, value in figures.items():
        print(f"{key:>20}: {value:,.1f}" if isinstance(value, float) else f"{key:>20}: {value:,}")


if __name__ == "__main__":
    main()
