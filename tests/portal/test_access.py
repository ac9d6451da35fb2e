"""The portal-link customer (``access.PortalCustomer``): the customer of one complaint, proven
by its token, and nobody else's."""

from __future__ import annotations

import pytest

from kesu.complaints.access import (
    PortalCustomer,
    allowed_actions,
    can_see,
    complaint_for_token,
    complaint_for_user,
    require_action,
    visible_complaints,
)
from kesu.complaints.errors import NotFound, PermissionDenied
from kesu.complaints.services import records, transitions
from kesu.complaints.states import State


def test_the_token_names_the_complaint_and_its_customer(portal):
    c = portal.new()
    found, visitor = complaint_for_token(c.portal_token)
    assert found.pk == c.pk
    assert visitor.complaint_id == c.pk and visitor.user is None
    with pytest.raises(NotFound):
        complaint_for_token("z" * 32)
    with pytest.raises(NotFound):
        complaint_for_token(c.portal_token + "\x00")


def test_a_customer_login_is_recorded_when_there_is_one(portal):
    c = portal.new(customer_name="陈建国", customer_phone="13816620001")
    _found, visitor = complaint_for_token(c.portal_token)
    assert visitor.user == portal.people.customer


def test_it_sees_and_acts_on_its_complaint_only(portal):
    c, other = portal.new(), portal.new(customer_name="李四", customer_phone="13700000000")
    visitor = PortalCustomer.of(c)
    assert can_see(visitor, c) and not can_see(visitor, other)
    assert list(visible_complaints(visitor)) == [c]
    assert complaint_for_user(visitor, pk=c.pk).pk == c.pk
    with pytest.raises(NotFound):
        complaint_for_user(visitor, pk=other.pk)
    with pytest.raises(NotFound):
        require_action(visitor, "add_info", other)
    with pytest.raises(NotFound):
        records.complaint_add_info(complaint=other, actor=visitor, text="不是我的")


def test_it_has_the_rights_of_a_customer_and_no_more(portal):
    c = portal.build(State.INVESTIGATING)
    visitor = PortalCustomer.of(c)
    assert set(allowed_actions(visitor, c)) == {"add_info", "add_attachment"}
    with pytest.raises(PermissionDenied):
        records.complaint_add_note(complaint=c, actor=visitor, text="内部")
    with pytest.raises(PermissionDenied):
        transitions.complaint_request_info(complaint=c, actor=visitor, message="?")
    c = portal.build(State.PENDING_CALLBACK)
    assert "rate" in allowed_actions(PortalCustomer.of(c), c)
    assert "record_callback" not in allowed_actions(PortalCustomer.of(c), c)
