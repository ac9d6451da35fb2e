"""Phone numbers and emails in clear only for those who contact the customer (SPEC §10)."""

from __future__ import annotations

import pytest

from kesu.complaints.privacy import mask_email, mask_phone
from kesu.complaints.states import State

PHONE, EMAIL = "13816620001", "chen@example.cn"


@pytest.mark.parametrize(
    ("who", "clear"),
    [
        ("customer_a", True),  # their own
        ("agent", True),  # customer service calls back
        ("handler", True),  # the responsible department makes the contact
        ("manager", True),
        ("executive", True),  # A-level cases involve the top
        ("quality", False),  # auditors read the case, they do not call
        ("finance_handler", False),  # a department asked for a task
        ("admin", False),
    ],
)
def test_contact_details_masked_where_not_needed(world, who, clear):
    c = world.build(State.INVESTIGATING)
    world.add_task(c)  # brings finance in
    r = world.get(who, f"/complaints/{c.number}")
    assert r.status_code == 200, r.json()
    customer = r.json()["customer"]
    if clear:
        assert (customer["phone"], customer["email"]) == (PHONE, EMAIL)
    else:
        assert (customer["phone"], customer["email"]) == ("138****0001", "c***@example.cn")
        assert PHONE not in r.content.decode()


def test_masking():
    assert mask_phone("13816620001") == "138****0001"
    assert mask_phone("+86 138 1662 0001") == "+86****0001"
    assert mask_phone("021-5555") == "****55"
    assert mask_phone("") == ""
    assert mask_email("chen@example.cn") == "c***@example.cn"
    assert mask_email("no-at-sign") == "****"
    assert mask_email("") == ""
