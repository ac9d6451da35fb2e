"""Phone numbers and emails reach only those who contact the customer (SPEC §10,
docs/privacy.md): every page, download, API answer and staff message a quality auditor or an
administrator reads shows them masked or not at all, and search cannot be used to find out a
masked number digit by digit."""

from __future__ import annotations

from kesu.complaints.models import Complaint
from kesu.complaints.states import State
from kesu.improvement.models import Audit
from kesu.outbox.models import Notification, OutboxMessage
from tests.privacy.conftest import EMAIL, PHONE

MASKED_PHONE, MASKED_EMAIL = "138****0001", "c***@example.cn"
# The phone as people type it into free text (spread() writes it so into the description).
SPACED = f"{PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}"
LEAKS = (PHONE, SPACED, EMAIL)


def leaked(text: str) -> list[str]:
    return [value for value in LEAKS if value in text]


def test_customer_service_manager_sees_contacts_in_clear(priv):
    """The customer-service manager is customer service for every case (SPEC §1), also for
    one dispatched to another department; before, they saw it masked."""
    c = priv.build(State.INVESTIGATING)
    customer = priv.get("cs_manager", f"/complaints/{c.number}").json()["customer"]
    assert (customer["phone"], customer["email"]) == (PHONE, EMAIL)
    page = priv.page("cs_manager", f"/console/c/{c.number}/").content.decode()
    assert PHONE in page and EMAIL in page


def test_search_matches_a_phone_only_whole_for_readers_who_see_it_masked(priv):
    c = priv.new()
    partial, whole = PHONE[:7], PHONE

    def console(who: str, term: str) -> list[str]:
        r = priv.page(who, "/console/search/", {"q": term})
        assert r.status_code == 200
        return [row.number for row in r.context["rows"]]

    def api(who: str, term: str) -> list[str]:
        r = priv.get(who, "/complaints", {"q": term})
        assert r.status_code == 200
        return [row["number"] for row in r.json()["items"]]

    for search in (console, api):
        assert search("agent", partial) == [c.number]  # customer service types what it hears
        assert search("quality", partial) == []
        assert search("admin", partial[-4:]) == []
        assert search("quality", whole) == [c.number]  # a number one already has: found
        assert search("quality", "陈建") == [c.number]  # names are searched as before


def test_no_place_shows_contacts_to_readers_who_see_them_masked(priv):
    closed = priv.spread()
    # Its title came from the description, which quotes the phone: stored masked.
    assert MASKED_PHONE in closed.title and SPACED not in closed.title
    open_case = priv.build(State.INVESTIGATING)
    Complaint.objects.filter(pk=open_case.pk).update(is_overdue=True)
    audit = Audit.objects.get()
    pages = [
        "/console/",
        "/console/queue/overdue/",
        "/console/queue/overdue/export.csv",
        "/console/search/?q=陈建国",
        "/console/analysis/complaints/",
        "/console/reports/monthly/2026-11/",
        f"/console/audits/{audit.pk}/",
        f"/console/c/{closed.number}/",
        f"/console/c/{open_case.number}/",
        "/console/notifications/",
    ]
    api = [
        "/complaints?q=陈建国",
        f"/complaints/{closed.number}",
        f"/complaints/{closed.number}/timeline",
        "/notifications",
    ]
    for who, where in (("quality", pages), ("admin", pages[:4] + pages[-3:])):
        client = priv.signed_in(who)
        for path in where:
            r = client.get(path)
            assert r.status_code == 200, (who, path, r.status_code)
            body = b"".join(r.streaming_content) if r.streaming else r.content
            assert not leaked(body.decode("utf-8-sig")), (who, path)
        for path in api:
            r = priv.get(who, path)
            assert r.status_code == 200, (who, path)
            assert not leaked(r.content.decode()), (who, path)
        page = client.get(f"/console/c/{closed.number}/").content.decode()
        assert MASKED_PHONE in page and MASKED_EMAIL in page
    # What staff are told (in-app notifications, emails to staff) never carries them.
    for n in Notification.objects.all():
        assert not leaked(n.title + n.body), n.body
    for m in OutboxMessage.objects.filter(recipient__isnull=False):
        assert not leaked(str(m.context)), m.context


def test_finding_a_person_in_free_text():
    from kesu.complaints.privacy import ContactMask, Redactor

    r = Redactor(names=["Li", "陈建国", "chen@example.cn"], phones=["+86 138-1662-0001"])
    assert r.text("Li said: delivery late, Li.") == "[已删除] said: delivery late, [已删除]."
    assert r.text("陈建国先生 CHEN@example.cn") == "[已删除]先生 [已删除]"
    assert r.text("电话8613816620001，运单 9913816620001") == "电话[已删除]，运单 9913816620001"
    assert r.text("手机 138 1662 0001。") == "手机 [已删除]。"
    assert r.data({"a": ["Li"], "n": 5}) == {"a": ["[已删除]"], "n": 5}
    mask = ContactMask("13816620001", "chen@example.cn")
    assert (
        mask.text("请拨 138 1662 0001 或 chen@example.cn") == "请拨 138****0001 或 c***@example.cn"
    )
