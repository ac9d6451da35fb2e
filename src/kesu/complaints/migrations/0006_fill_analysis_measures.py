"""Fill the first response and resolution times of the complaints recorded before they were
measured (services.durations), from what the record already holds:

- first response: the earliest of the ``ack`` milestone met, the first outbound
  communication, the first request for information and the first solution communicated;
- resolution: the first move to ``resolving`` (a solution communicated), else the ``solution``
  milestone met.

Batches of 500 complaints; the business clock is the complaint's policy's, as in the service.
"""

from __future__ import annotations

from django.db import migrations
from django.db.models import Min, Q

BATCH = 500


def fill(apps, schema_editor):
    from kesu.complaints.services.durations import business_seconds, waits_from_transitions
    from kesu.policy.loader import doc_for
    from kesu.workcal.calendar import clock_for, load_official_calendar

    Complaint = apps.get_model("complaints", "Complaint")
    Event = apps.get_model("complaints", "Event")
    Milestone = apps.get_model("complaints", "Milestone")
    Communication = apps.get_model("complaints", "Communication")
    official = load_official_calendar()
    clocks = {}

    def clock(policy):
        if policy.pk not in clocks:
            doc = doc_for(policy)
            clocks[policy.pk] = clock_for("business", doc.working_hours, official=official)
        return clocks[policy.pk]

    todo = Complaint.objects.filter(
        Q(first_response_at__isnull=True) | Q(resolution_at__isnull=True)
    ).order_by("pk")
    last = 0
    while True:
        batch = list(todo.filter(pk__gt=last).select_related("policy")[:BATCH])
        if not batch:
            break
        last = batch[-1].pk
        ids = [c.pk for c in batch]
        acked = dict(
            Milestone.objects.filter(complaint__in=ids, kind="ack", met_at__isnull=False)
            .values("complaint")
            .annotate(at=Min("met_at"))
            .values_list("complaint", "at")
        )
        told = dict(
            Communication.objects.filter(complaint__in=ids, direction="out")
            .values("complaint")
            .annotate(at=Min("at"))
            .values_list("complaint", "at")
        )
        solved = dict(
            Milestone.objects.filter(complaint__in=ids, kind="solution", met_at__isnull=False)
            .values("complaint")
            .annotate(at=Min("met_at"))
            .values_list("complaint", "at")
        )
        transitions: dict[int, list] = {}
        for row in (
            Event.objects.filter(complaint__in=ids, kind="transition")
            .filter(
                Q(to_state__in=["awaiting_customer", "resolving"])
                | Q(from_state="awaiting_customer")
            )
            .order_by("complaint", "at", "id")
            .values_list("complaint", "at", "from_state", "to_state")
        ):
            transitions.setdefault(row[0], []).append(row[1:])
        for c in batch:
            moves = transitions.get(c.pk, [])
            first_wait = next((at for at, _, to in moves if to == "awaiting_customer"), None)
            first_solution = next((at for at, _, to in moves if to == "resolving"), None)
            resolution = first_solution or solved.get(c.pk)
            candidates = [acked.get(c.pk), told.get(c.pk), first_wait, resolution]
            response = min((at for at in candidates if at is not None), default=None)
            waits = waits_from_transitions(moves)
            fields = {}
            if c.first_response_at is None and response is not None:
                fields["first_response_at"] = response
                fields["first_response_seconds"] = business_seconds(
                    clock(c.policy), c.received_at, response, waits
                )
            if c.resolution_at is None and resolution is not None:
                fields["resolution_at"] = resolution
                fields["resolution_seconds"] = business_seconds(
                    clock(c.policy), c.received_at, resolution, waits
                )
            if fields:
                Complaint.objects.filter(pk=c.pk).update(**fields)


def clear(apps, schema_editor):
    # The fields go with the previous migration; nothing to undo here.
    pass


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0005_analysis_measures"),
        ("policy", "0001_initial"),
        ("workcal", "0001_initial"),
    ]

    operations = [migrations.RunPython(fill, clear)]
