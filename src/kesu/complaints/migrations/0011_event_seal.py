"""Seal the timeline: each event gets its place (``seq``) and a hash chained to the event
before it (kesu.complaints.audit), existing events in (time, id) order; then the table refuses
UPDATE and DELETE at the database level (PostgreSQL: UPDATE and DELETE; SQLite: UPDATE —
Django's test flush empties SQLite tables with DELETE, PostgreSQL's with TRUNCATE)."""

from django.db import migrations, models


def _write(connection, rows: list[tuple[int, int, str]]) -> None:
    """(id, seq, hash) rows in one statement (PostgreSQL) or one executemany (SQLite):
    Django's bulk_update builds a CASE per row, which took minutes for 200,000 events."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "UPDATE complaints_event AS e SET seq = v.seq, hash = v.hash"
                " FROM unnest(%s::bigint[], %s::integer[], %s::text[]) AS v(id, seq, hash)"
                " WHERE e.id = v.id",
                [[r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]],
            )
        else:
            cur.executemany(
                "UPDATE complaints_event SET seq = %s, hash = %s WHERE id = %s",
                [(seq, h, pk) for pk, seq, h in rows],
            )


def seal_existing(apps, schema_editor):
    from kesu.complaints.audit import GENESIS, digest

    Event = apps.get_model("complaints", "Event")
    current, seq, previous = None, 0, GENESIS
    batch: list[tuple[int, int, str]] = []
    rows = Event.objects.order_by("complaint_id", "at", "id").iterator(chunk_size=5000)
    for event in rows:
        if event.complaint_id != current:
            current, seq, previous = event.complaint_id, 0, GENESIS
        seq += 1
        previous = digest(
            previous,
            complaint_id=event.complaint_id,
            seq=seq,
            round_no=event.round_no,
            kind=event.kind,
            action=event.action,
            from_state=event.from_state,
            to_state=event.to_state,
            actor_id=event.actor_id,
            at=event.at,
            visible_to_customer=event.visible_to_customer,
            data=event.data,
        )
        batch.append((event.pk, seq, previous))
        if len(batch) >= 5000:
            _write(schema_editor.connection, batch)
            batch = []
    if batch:
        _write(schema_editor.connection, batch)


APPEND_ONLY_PG = """
CREATE OR REPLACE FUNCTION kesu_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'complaints_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER complaints_event_append_only
    BEFORE UPDATE OR DELETE ON complaints_event
    FOR EACH ROW EXECUTE FUNCTION kesu_event_append_only();
"""
DROP_PG = """
DROP TRIGGER IF EXISTS complaints_event_append_only ON complaints_event;
DROP FUNCTION IF EXISTS kesu_event_append_only();
"""
APPEND_ONLY_SQLITE = """
CREATE TRIGGER complaints_event_append_only BEFORE UPDATE ON complaints_event
BEGIN SELECT RAISE(ABORT, 'complaints_event is append-only: UPDATE refused'); END;
"""
DROP_SQLITE = "DROP TRIGGER IF EXISTS complaints_event_append_only;"


def append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_PG, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(APPEND_ONLY_SQLITE)


def not_append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(DROP_PG, params=None)
    elif vendor == "sqlite":
        schema_editor.execute(DROP_SQLITE)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0010_search_bigram_indexes")]

    operations = [
        migrations.AddField(
            model_name="event",
            name="seq",
            field=models.PositiveIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="event",
            name="hash",
            field=models.CharField(editable=False, max_length=64, default=""),
            preserve_default=False,
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="event",
            name="seq",
            field=models.PositiveIntegerField(editable=False),
        ),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(
                fields=("complaint", "seq"), name="event_one_per_place"
            ),
        ),
        migrations.RunPython(append_only, not_append_only),
    ]
