"""A signed-in customer's list of their own complaints."""

from __future__ import annotations

from tests.portal.conftest import browser

from kesu.complaints.models import Customer


def test_anonymous_visitors_are_sent_to_sign_in(portal):
    r = portal.client.get("/portal/mine/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/?next=/portal/mine/")


def test_a_customer_sees_only_their_own_complaints(portal):
    mine = [
        portal.new(customer_name="陈建国", customer_phone="13816620001", description=f"第{i}件")
        for i in range(2)
    ]
    theirs = portal.new(customer_name="刘芳", customer_phone="13962110002")
    stranger = portal.new()  # an anonymous member of the public
    client = browser()
    client.force_login(portal.people.customer)
    r = client.get("/portal/mine/")
    assert r.status_code == 200
    page = r.content.decode()
    assert page.count('data-test="my-complaint"') == 2
    for c in mine:
        assert f'data-number="{c.number}"' in page
        assert f'href="/portal/c/{c.portal_token}/"' in page
    for c in (theirs, stranger):
        assert c.number not in page and c.portal_token not in page
    assert 'data-test="state" data-state="received"' in page
    # Signed-in customers land here.
    assert client.get("/").headers["Location"] == "/portal/mine/"


def test_a_customer_without_complaints_or_record(portal):
    client = browser()
    client.force_login(portal.people.other_customer)
    Customer.objects.filter(user=portal.people.other_customer).update(user=None)
    page = client.get("/portal/mine/").content.decode()
    assert 'data-test="no-complaints"' in page and 'data-test="no-profile"' in page


def test_staff_have_the_console_instead(portal):
    client = browser()
    client.force_login(portal.agent)
    r = client.get("/portal/mine/")
    assert r.status_code == 302 and r["Location"] == "/"


def test_the_list_is_paged(portal):
    for i in range(23):
        portal.new(customer_name="陈建国", customer_phone="13816620001", description=f"第{i}件")
    client = browser()
    client.force_login(portal.people.customer)
    first = client.get("/portal/mine/").content.decode()
    second = client.get("/portal/mine/?page=2").content.decode()
    assert first.count('data-test="my-complaint"') == 20
    assert second.count('data-test="my-complaint"') == 3
    assert client.get("/portal/mine/?page=abc").status_code == 200
