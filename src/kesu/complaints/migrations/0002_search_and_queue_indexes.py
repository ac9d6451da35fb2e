"""Indexes for search and the due-soon queue (kesu.complaints.queues).

PostgreSQL only: trigram GIN indexes (pg_trgm) so the search box's case-insensitive
``LIKE '%…%'`` on title, description, order/waybill no. and the customer's name, company and
phone uses an index, Chinese text included. The expressions are ``UPPER(col::text)`` because
that is what Django's ``icontains`` compares on PostgreSQL. Where the database user may not
create the extension, the indexes are skipped with a warning: search still works, by scanning.

Both databases: the range look-ups of the queues and the dashboard (kesu.complaints.queues,
kesu.complaints.kpis_basic) that no model index serves: running milestones by warning time
(due-soon queue), milestones by the time they were met and complaints by the time they were
closed (month KPIs), callbacks by time (satisfaction).

No model state changes here (raw SQL only), so ``makemigrations --check`` stays clean.
"""

import warnings

from django.db import migrations, transaction

TRIGRAM = [
    ("cmp_title_trgm", "complaints_complaint", "title"),
    ("cmp_description_trgm", "complaints_complaint", "description"),
    ("cmp_order_no_trgm", "complaints_complaint", "order_no"),
    ("cmp_waybill_no_trgm", "complaints_complaint", "waybill_no"),
    ("cust_name_trgm", "complaints_customer", "name"),
    ("cust_company_trgm", "complaints_customer", "company"),
    ("cust_phone_trgm", "complaints_customer", "phone"),
]
# (name, table, column, partial condition): plain SQL both databases understand.
RANGE = [
    ("ms_running_warn", "complaints_milestone", "warn_at", "status = 'open'"),
    ("ms_met_at", "complaints_milestone", "met_at", "met_at IS NOT NULL"),
    ("cmp_closed_at", "complaints_complaint", "closed_at", "closed_at IS NOT NULL"),
    ("callback_at", "complaints_callback", "at", ""),
]


def create_indexes(apps, schema_editor):
    conn = schema_editor.connection
    with conn.cursor() as cur:
        for name, table, column, condition in RANGE:
            where = f" WHERE {condition}" if condition else ""
            cur.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column}){where}")
    if conn.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=conn.alias), conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:  # noqa: BLE001 - no privilege: search works without the indexes
        warnings.warn(
            f"pg_trgm could not be enabled ({exc}); search will scan instead of using "
            "trigram indexes. Run CREATE EXTENSION pg_trgm as a superuser and migrate again.",
            stacklevel=1,
        )
        return
    with conn.cursor() as cur:
        for name, table, column in TRIGRAM:
            cur.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
                f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
            )


def drop_indexes(apps, schema_editor):
    conn = schema_editor.connection
    with conn.cursor() as cur:
        for name, *_rest in RANGE:
            cur.execute(f"DROP INDEX IF EXISTS {name}")
        if conn.vendor == "postgresql":
            for name, _table, _column in TRIGRAM:
                cur.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
