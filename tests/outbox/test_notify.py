from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from kesu.outbox.models import Channel, OutboxMessage
from kesu.outbox.services import notify

pytestmark = pytest.mark.django_db


def _rows() -> set[tuple[str, int | None, str]]:
    return set(OutboxMessage.objects.values_list("channel", "recipient_id", "address"))


def test_channels_per_staff_user_and_customer(make_user, complaint):
    handler = make_user(email="h@example.com")
    manager = make_user(email="")  # no address: in-app only
    gone = make_user(is_active=False)

    created = notify(
        event="complaint.assigned",
        complaint_id=complaint.pk,
        context={"number": "KS-1"},
        users=[handler, manager, handler, gone],  # duplicate and inactive users are skipped
        customer_email="c@example.com",
        customer_phone="13800000000",
        language="en",
    )

    assert len(created) == 5
    assert _rows() == {
        (Channel.INAPP, handler.pk, ""),
        (Channel.EMAIL, handler.pk, "h@example.com"),
        (Channel.INAPP, manager.pk, ""),
        (Channel.EMAIL, None, "c@example.com"),
        (Channel.SMS, None, "13800000000"),
    }
    row = OutboxMessage.objects.filter(channel=Channel.SMS).get()
    assert row.status == OutboxMessage.Status.PENDING
    assert (row.event, row.complaint_id, row.language) == ("complaint.assigned", complaint.pk, "en")
    assert row.context == {"number": "KS-1"}
    assert row.attempts == 0 and row.max_attempts == 5 and row.dedupe_key is None


def test_customer_only_and_nothing(make_user):
    assert notify(event="complaint.closed", complaint_id=None, context={}) == []
    created = notify(
        event="complaint.closed", complaint_id=None, context={}, customer_email="c@example.com"
    )
    assert [m.channel for m in created] == [Channel.EMAIL]
    assert OutboxMessage.objects.count() == 1


def test_one_insert_without_dedupe_key(make_user, django_assert_num_queries):
    users = [make_user() for _ in range(3)]
    with django_assert_num_queries(1):
        created = notify(event="task.assigned", complaint_id=None, context={}, users=users)
    assert len(created) == 6


def test_context_values_become_json(make_user):
    due = dt.datetime(2025, 3, 1, 1, 30, tzinfo=dt.UTC)  # 09:30 in Asia/Shanghai
    notify(
        event="complaint.received",
        complaint_id=None,
        context={"deadline": due, "amount": Decimal("12.50"), "tags": ("a", 1)},
        customer_email="c@example.com",
    )
    assert OutboxMessage.objects.get().context == {
        "deadline": "2025-03-01 09:30",
        "amount": "12.50",
        "tags": ["a", 1],
    }


def test_language_is_normalised():
    [m] = notify(event="x", complaint_id=None, context={}, customer_email="a@b.c", language="EN-us")
    assert m.language == "en"
    [m] = notify(event="x", complaint_id=None, context={}, customer_email="a@b.c", language="zh")
    assert m.language == "zh-hans"


def test_dedupe_key_makes_second_call_a_no_op(make_user, django_assert_num_queries):
    handler = make_user()
    kwargs = {
        "event": "milestone.warning",
        "complaint_id": None,
        "context": {},
        "customer_phone": "13900000000",
        "dedupe_key": "warn-7-ack",
    }
    first = notify(users=[handler], **kwargs)
    assert len(first) == 3
    with django_assert_num_queries(2):  # insert ... on conflict do nothing, then which ones
        again = notify(users=[handler], **kwargs)
    assert again == []
    assert OutboxMessage.objects.count() == 3

    # Same key, one more recipient: only the newcomer's rows are added.
    other = make_user()
    added = notify(users=[handler, other], **kwargs)
    assert {(m.channel, m.recipient_id) for m in added} == {
        (Channel.INAPP, other.pk),
        (Channel.EMAIL, other.pk),
    }
    assert OutboxMessage.objects.count() == 5
    keys = set(OutboxMessage.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == 5 and all(k.startswith("warn-7-ack|") for k in keys)


def test_long_dedupe_key_is_hashed():
    [m] = notify(
        event="x", complaint_id=None, context={}, customer_email="a@b.c", dedupe_key="k" * 400
    )
    assert m.dedupe_key.startswith("sha256:") and len(m.dedupe_key) <= 255
    assert (
        notify(
            event="x", complaint_id=None, context={}, customer_email="a@b.c", dedupe_key="k" * 400
        )
        == []
    )


def test_duplicate_inside_callers_transaction_does_not_break_it(make_user):
    """ON CONFLICT DO NOTHING: a duplicate never aborts the caller's transaction (PostgreSQL
    would refuse every later statement after an IntegrityError)."""
    handler = make_user()
    with transaction.atomic():
        notify(event="e", complaint_id=None, context={}, users=[handler], dedupe_key="k")
        assert (
            notify(event="e", complaint_id=None, context={}, users=[handler], dedupe_key="k") == []
        )
        notify(event="f", complaint_id=None, context={}, users=[handler])
    assert OutboxMessage.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_rows_roll_back_with_the_callers_transaction(make_user):
    handler = make_user()
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(event="e", complaint_id=None, context={}, users=[handler], customer_email="a@b.c")
        assert OutboxMessage.objects.count() == 3
        raise RuntimeError("domain change failed")
    assert OutboxMessage.objects.count() == 0

    with transaction.atomic():
        notify(event="e", complaint_id=None, context={}, users=[handler], customer_email="a@b.c")
    assert OutboxMessage.objects.count() == 3


def test_message_survives_its_complaint(complaint):
    [m] = notify(event="e", complaint_id=complaint.pk, context={}, customer_email="a@b.c")
    assert list(complaint.outbox_messages.all()) == [m]
    complaint.delete()  # SET_NULL: the delivery record stays
    assert OutboxMessage.objects.get().complaint_id is None
