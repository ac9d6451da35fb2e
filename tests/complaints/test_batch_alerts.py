"""Batch alerts (seed 004 三 7, SPEC §5): each wave of complaints on a batch alerts quality."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kesu.complaints.models import BatchAlert
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.outbox.models import OutboxMessage
from tests.conftest import at, make_people

pytestmark = pytest.mark.django_db


def named_batch(people, when, phone):
    c, _ = complaint_create(
        data=NewComplaint(
            customer_name="食堂",
            customer_phone=phone,
            channel="hotline",
            category="food_sensory",
            description="猪肉有异味。",
            product="冷鲜猪肉",
            batch_no="PK-20261101",
            received_at=when,
        ),
        actor=people.agent,
        now=when,
    )
    return c


def test_a_new_wave_after_the_window_raises_the_alert_again(preset):
    doc = preset("food-distribution")  # threshold 1, window 7 days
    people = make_people()
    first_day = at("2026-11-02 10:00")
    named_batch(people, first_day, "13500000001")
    named_batch(people, first_day + timedelta(days=2), "13500000002")
    assert BatchAlert.objects.count() == 1  # the second joined the first within 7 days
    later = first_day + timedelta(days=doc.batch_alert.window_days + 11)
    named_batch(people, later, "13500000003")
    # Quality had not concluded the first alert: the new wave raises it again and tells them.
    alert = BatchAlert.objects.get()
    assert alert.raised_at == later and alert.complaints.count() == 3
    told = OutboxMessage.objects.filter(event="batch.alert", recipient=people.quality)
    assert told.filter(channel="inapp").count() == 2  # once per wave, not per complaint
