"""Search (number, phone, customer, order/waybill no., Chinese text) and the CSV/Excel export
of a filtered queue."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from django.db import connection
from openpyxl import load_workbook

from kesu.complaints.models import Complaint
from kesu.complaints.queues import search_condition
from kesu.complaints.states import State
from kesu.console.views import queues as queue_views
from tests.console.conftest import numbers


@pytest.fixture
def cases(console):
    a = console.new(title="交货延迟一周", order_no="PO-2026-0001")
    b = console.new(
        "customer_b",
        category="invoicing",
        title="发票抬头错误",
        description="发票抬头开成了别的公司,需要重开。",
        order_no="PO-777",
        waybill_no="SF1234567890",
    )
    sales = console.in_department("sales", description="报价单迟迟没有发来,耽误了采购流程。")
    closed = console.build(State.CLOSED)
    return {"a": a, "b": b, "sales": sales, "closed": closed}


def search(console, who, term, **params):
    return console.page(who, "/console/search/", {"q": term, **params})


def found(console, who, term) -> set[str]:
    return set(numbers(search(console, who, term)))


def test_search_by_number_phone_customer_references_and_words(console, cases):
    a, b, sales, closed = cases["a"], cases["b"], cases["sales"], cases["closed"]
    chen = {a.number, sales.number, closed.number}  # customer_a's complaints
    assert found(console, "agent", a.number) == {a.number}
    assert found(console, "agent", a.number.lower()) == {a.number}
    assert found(console, "agent", f"  {b.number} ") == {b.number}
    assert found(console, "agent", "13962110002") == {b.number}
    assert found(console, "agent", "13816620001") == chen
    assert found(console, "agent", "刘芳") == {b.number}
    assert found(console, "agent", "恒昌贸易") == chen  # company of customer_a
    assert found(console, "agent", "PO-777") == {b.number}
    assert found(console, "agent", "po-777") == {b.number}
    assert found(console, "agent", "SF1234567890") == {b.number}
    assert found(console, "agent", "发票抬头") == {b.number}  # title and description
    assert found(console, "agent", "报价单") == {sales.number}
    assert found(console, "agent", "交货延迟") == {a.number}
    assert closed.number in found(console, "agent", closed.number)  # any state
    assert found(console, "agent", "不存在的内容") == set()


def test_search_respects_visibility(console, cases):
    a, sales = cases["a"], cases["sales"]
    assert found(console, "other_handler", "报价单") == {sales.number}
    assert found(console, "other_handler", a.number) == set()
    assert found(console, "other_handler", "13816620001") == {sales.number}
    assert found(console, "handler", "报价单") == set()
    assert found(console, "handler", cases["closed"].number) == {cases["closed"].number}


def test_search_box_and_odd_input(console, cases):
    r = search(console, "agent", "")
    assert r.status_code == 200 and 'data-test="search-box"' in r.content.decode()
    r = search(console, "agent", "发")
    assert r.context["too_short"] and r.context["rows"] == []
    assert search(console, "agent", "a\x00b").status_code == 200
    assert search(console, "agent", "%").status_code == 200
    assert found(console, "agent", "%_") == set()  # LIKE wildcards are literal
    assert search(console, "agent", "x" * 5000).status_code == 200
    r = search(console, "agent", "PO", after="forged")
    assert r.status_code == 422


def test_search_pages_newest_first(console, monkeypatch):
    monkeypatch.setattr(queue_views, "PAGE_SIZE", 2)
    made = [console.new(order_no=f"ORD-9{i}") for i in range(5)]
    expected = [c.number for c in sorted(made, key=lambda c: (c.received_at, c.pk), reverse=True)]
    seen, cursor = [], None
    while True:
        r = search(console, "agent", "ORD-9", **({"after": cursor} if cursor else {}))
        seen += numbers(r)
        cursor = r.context["page"].next
        if not cursor:
            break
    assert seen == expected


def test_htmx_search_returns_only_results(console, cases):
    r = console.page(
        "agent",
        "/console/search/",
        {"q": "刘芳"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    html = r.content.decode()
    assert "<html" not in html and f'data-number="{cases["b"].number}"' in html


@pytest.mark.postgres_only
def test_search_uses_the_trigram_indexes_on_postgresql(console, cases):
    qs = Complaint.objects.filter(search_condition("发票抬头")).values("pk")
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        # Tiny test tables: make the planner show the plan it would take on large ones.
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_indexscan = off")
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    for index in ("cmp_title_trgm", "cmp_description_trgm", "cust_name_trgm", "cust_phone_trgm"):
        assert index in plan, plan


# --- export ------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def read_xlsx(response) -> list[tuple]:
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content), read_only=True)
    return [tuple(row) for row in wb.worksheets[0].iter_rows(values_only=True)]


def test_csv_export_is_the_filtered_queue_in_order(console, cases):
    r = console.page("agent", "/console/queue/mine/export.csv")
    assert r["Content-Type"].startswith("text/csv")
    assert r["Content-Disposition"].startswith('attachment; filename="kesu-mine-')
    rows = read_csv(r)
    header, data = rows[0], rows[1:]
    assert header[:4] == ["编号", "受理时间", "状态", "等级"]
    page_numbers = console.queue("agent", "mine")
    assert [row[0] for row in data] == page_numbers  # same rows, same order
    b = next(row for row in data if row[0] == cases["b"].number)
    assert "刘芳" in b and "发票抬头错误" in b and "开票延迟或错误" in b and "PO-777" in b
    assert b[1] == "2026-11-16 10:00"

    filtered = read_csv(
        console.page("agent", "/console/queue/mine/export.csv", {"category": "invoicing"})
    )
    assert [row[0] for row in filtered[1:]] == [cases["b"].number]


def test_csv_export_in_english_and_safe_from_formulas(console):
    case = console.new(title='=HYPERLINK("http://evil")')
    r = console.page("agent", "/console/queue/mine/export.csv", headers={"Accept-Language": "en"})
    rows = read_csv(r)
    assert rows[0][:3] == ["Number", "Received at", "State"]
    row = next(row for row in rows if row[0] == case.number)
    assert '\'=HYPERLINK("http://evil")' in row


def test_xlsx_export(console, cases):
    r = console.page("agent", "/console/queue/mine/export.xlsx", {"level": "C"})
    assert r["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert r["Content-Disposition"].endswith('.xlsx"')
    rows = read_xlsx(r)
    assert rows[0][0] == "编号"
    assert [row[0] for row in rows[1:]] == console.queue("agent", "mine", {"level": "C"})
    b = next(row for row in rows if row[0] == cases["b"].number)
    assert b[1] == datetime(2026, 11, 16, 10, 0)  # local time, a real date cell
    assert "刘芳" in b and "开票延迟或错误" in b and "C级(一般)" in b


def test_export_is_capped_with_a_message(console, monkeypatch):
    monkeypatch.setattr(queue_views, "EXPORT_CAP", 2)
    made = [console.new() for _ in range(3)]
    rows = read_csv(console.page("agent", "/console/queue/unassigned/export.csv"))
    assert len(rows) == 4 and "2" in rows[-1][0] and rows[-1][0] != made[-1].number
    assert [r[0] for r in rows[1:3]] == console.queue("agent", "unassigned")[:2]
    rows = read_xlsx(console.page("agent", "/console/queue/unassigned/export.xlsx"))
    assert len(rows) == 4 and "2" in str(rows[-1][0])


def test_export_respects_visibility_and_queue_access(console, cases):
    rows = read_csv(console.page("other_handler", "/console/queue/department/export.csv"))
    assert [r[0] for r in rows[1:]] == [cases["sales"].number]
    assert console.page("handler", "/console/queue/unassigned/export.csv").status_code == 404
    assert console.page("agent", "/console/queue/mine/export.pdf").status_code == 404
    assert console.page("customer_a", "/console/queue/mine/export.xlsx").status_code == 403
