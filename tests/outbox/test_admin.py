from __future__ import annotations

import pytest
from django.urls import reverse

from kesu.outbox.models import OutboxMessage
from kesu.outbox.services import notify

pytestmark = pytest.mark.django_db


def test_changelists_render(admin_client, make_user):
    notify(event="complaint.assigned", complaint_id=None, context={}, users=[make_user()])
    for model in ("outboxmessage", "notification", "messagetemplate", "workerlease"):
        response = admin_client.get(reverse(f"admin:outbox_{model}_changelist"))
        assert response.status_code == 200, model
    response = admin_client.get(
        reverse("admin:outbox_outboxmessage_changelist"), {"status__exact": "pending", "q": "x"}
    )
    assert response.status_code == 200
    message = OutboxMessage.objects.first()
    url = reverse("admin:outbox_outboxmessage_change", args=[message.pk])
    assert admin_client.get(url).status_code == 200


def test_resend_action_requeues_dead_messages_only(admin_client):
    dead, sent = notify(
        event="complaint.closed",
        complaint_id=None,
        context={},
        customer_email="a@example.com",
        customer_phone="13800000000",
    )
    OutboxMessage.objects.filter(pk=dead.pk).update(status="dead", attempts=5)
    OutboxMessage.objects.filter(pk=sent.pk).update(status="sent", attempts=1)
    response = admin_client.post(
        reverse("admin:outbox_outboxmessage_changelist"),
        {"action": "resend_dead", "_selected_action": [str(dead.pk), str(sent.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    states = dict(OutboxMessage.objects.values_list("pk", "status"))
    assert states == {dead.pk: "pending", sent.pk: "sent"}
    assert OutboxMessage.objects.get(pk=dead.pk).attempts == 0
    notices = [str(m) for m in response.context["messages"]]
    assert len(notices) == 2  # one queued again, one left as it was
