"""Bigram indexes for two-character search terms (kesu.complaints.queues.search_condition).

PostgreSQL only. The trigram indexes of migration 0002 cannot serve a term of two characters
(``LIKE '%破损%'`` has no trigram), and two-character Chinese words are what staff type most
(破损, 延误, 丢件, 态度), so such a search scanned the tables. pg_bigm is not packaged for every
PostgreSQL we run on, so this does the same with core features only:

* ``kesu_bigrams(VARIADIC text[]) -> text[]``: the two-character substrings of each argument
  (repeats kept: GIN stores each key once per row), upper-cased (``UPPER`` is what Django's ``icontains`` compares), never across two
  arguments. IMMUTABLE, so it may be indexed.
* One GIN expression index per table over the searched columns: the complaint's title,
  description, order and waybill no.; the customer's name, company and phone.

A term of exactly two characters matches a row's column iff that column's bigrams contain the
term's one bigram, so ``kesu_bigrams(cols…) @> kesu_bigrams(term)`` finds the candidates
through the index and the ``icontains`` conditions, kept beside it, check them exactly.

On SQLite this migration does nothing (search there is a plain LIKE). bench/generate.py drops
and re-creates these indexes from ``pg_indexes`` like the others; the function stays.
No model state changes here (raw SQL only), so ``makemigrations --check`` stays clean.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION kesu_bigrams(VARIADIC parts text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    result text[] := '{}';
    part text;
    upped text;
BEGIN
    FOREACH part IN ARRAY parts LOOP
        CONTINUE WHEN part IS NULL;
        upped := upper(part);
        FOR i IN 1 .. char_length(upped) - 1 LOOP
            result := result || substr(upped, i, 2);
        END LOOP;
    END LOOP;
    RETURN result;
END
$$
"""
# (name, table, columns): the columns in the order queues.search_condition passes them.
BIGRAM = [
    (
        "cmp_text_bigram",
        "complaints_complaint",
        ("title", "description", "order_no", "waybill_no"),
    ),
    ("cust_text_bigram", "complaints_customer", ("name", "company", "phone")),
]


def create_indexes(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cur:
        cur.execute(FUNCTION)
        for name, table, columns in BIGRAM:
            args = ", ".join(columns)
            cur.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (kesu_bigrams({args}))"
            )
            cur.execute(f"ANALYZE {table}")  # statistics of the new index expression


def drop_indexes(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cur:
        for name, _table, _columns in BIGRAM:
            cur.execute(f"DROP INDEX IF EXISTS {name}")
        cur.execute("DROP FUNCTION IF EXISTS kesu_bigrams(VARIADIC text[])")


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0009_fewer_complaint_indexes"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
