"""The import service: the exact row-by-row report for a sheet of good and bad rows, from
.xlsx and from CSV (UTF-8 with a BOM, GB18030); all-or-nothing stores nothing, valid-only
stores exactly the good rows with their original times; open rows keep their deadlines
without flooding anyone, closed history is closed; the file itself refused as a whole."""

from __future__ import annotations

import io

import pytest
from django.utils import translation

from kesu.complaints.errors import InvalidInput, PermissionDenied
from kesu.complaints.models import (
    Complaint,
    Customer,
    DailySequence,
    Event,
    EventKind,
    Milestone,
)
from kesu.complaints.services import sweep
from kesu.complaints.services.importing import (
    ALL_OR_NOTHING,
    VALID_ONLY,
    import_complaints,
    parse_moment,
)
from kesu.complaints.states import State
from kesu.outbox.models import OutboxMessage
from tests.conftest import at
from tests.imports.conftest import GOOD_ROWS, ROWS, csv_file, expected_errors, xlsx_file

FILES = {
    "xlsx": lambda: xlsx_file(),
    "csv-bom": lambda: csv_file(),
    "csv-gb18030": lambda: csv_file(encoding="gb18030"),
}


def counts() -> dict[str, int]:
    return {
        "complaints": Complaint.objects.count(),
        "customers": Customer.objects.count(),
        "events": Event.objects.count(),
        "milestones": Milestone.objects.count(),
        "outbox": OutboxMessage.objects.count(),
        "numbers": sum(DailySequence.objects.values_list("last", flat=True)),
    }


def run(world, file, mode, who="agent", name="投诉登记.xlsx"):
    with translation.override("en"):
        return import_complaints(file=file, file_name=name, actor=world.users[who], mode=mode)


def report_rows(report) -> list[tuple[int, str, str, str]]:
    return [(e.row, e.field, e.column, e.message) for e in report.errors]


@pytest.mark.parametrize("kind", FILES)
def test_all_or_nothing_reports_every_bad_row_and_stores_nothing(world, kind):
    before = counts()
    report = run(world, FILES[kind](), ALL_OR_NOTHING)
    existing = world.complaints["customer_a"].number
    assert report_rows(report) == expected_errors(existing)
    assert (report.rows, report.valid, report.invalid, report.stored) == (10, 3, 7, 0)
    assert report.refused
    assert report.ignored_columns == ["备注"]
    assert report.created == []
    assert counts() == before


@pytest.mark.parametrize("kind", FILES)
def test_valid_only_stores_exactly_the_good_rows_with_their_times(world, kind):
    before = counts()
    report = run(world, FILES[kind](), VALID_ONLY)
    existing = world.complaints["customer_a"].number
    assert report_rows(report) == expected_errors(existing)
    assert not report.refused
    assert [row for row, _ in report.created] == list(GOOD_ROWS)
    assert report.stored == 3 and report.closed_history == 1
    by_row = {row: Complaint.objects.get(number=number) for row, number in report.created}
    assert Complaint.objects.count() == before["complaints"] + 3

    open_one, history, by_email = by_row[2], by_row[7], by_row[10]
    assert open_one.received_at == at("2026-11-10 09:00")
    assert (open_one.channel, open_one.category, open_one.level) == (
        "hotline",
        "late_delivery",
        "B",
    )
    assert open_one.customer.phone == "13900001111"
    assert open_one.received_by == world.users["agent"]
    assert open_one.state == State.RECEIVED
    assert by_email.received_at == at("2026-11-12 09:30")
    assert by_email.customer.email == "zhou@example.cn"
    assert by_email.channel == "hotline"  # no channel given: the import's default

    assert history.state == State.CLOSED
    assert history.received_at == at("2024-03-01 10:00")
    assert history.closed_at == at("2024-03-05 17:00")
    assert history.close_reason == "imported"
    assert history.milestones.count() == 0
    assert not history.is_overdue
    assert history.external_ref == "OLD-1"

    created = Event.objects.get(complaint=history, kind=EventKind.CREATED)
    assert created.data["import_file"] == "投诉登记.xlsx"
    assert created.data["import_row"] == 7
    assert created.data["import_ref"] == "OLD-1"
    closing = Event.objects.get(complaint=history, kind=EventKind.TRANSITION)
    assert (closing.from_state, closing.to_state) == (State.RECEIVED, State.CLOSED)
    assert closing.data["summary"] == "已重开发票。"
    # Closed history tells nobody anything; the open rows send the customer the
    # acknowledgment with the number, as any intake does.
    assert not OutboxMessage.objects.filter(complaint_id=history.pk).exists()
    assert OutboxMessage.objects.filter(
        complaint_id=open_one.pk, event="complaint.received"
    ).exists()


def test_deadlines_passed_before_the_import_are_breached_without_messages(world):
    report = run(world, xlsx_file(), VALID_ONLY)
    assert report.overdue == 2
    numbers = dict(report.created)
    c = Complaint.objects.get(number=numbers[2])
    assert c.is_overdue and c.breach_count >= 1
    breached = Milestone.objects.filter(complaint=c, breached_at__isnull=False)
    assert breached.exists()
    assert all(ms.breached_at == ms.due_at for ms in breached)
    assert Event.objects.filter(complaint=c, kind=EventKind.MILESTONE_BREACHED).count() == (
        breached.count()
    )
    staff_messages = OutboxMessage.objects.filter(complaint_id=c.pk, event__startswith="milestone.")
    assert not staff_messages.exists()
    # The worker's sweep has nothing left to escalate for them.
    result = sweep.sweep_deadlines()
    assert result.breached == 0
    assert not OutboxMessage.objects.filter(event__startswith="milestone.").exists()


def test_a_live_channel_row_was_acknowledged_when_received(world):
    report = run(world, xlsx_file(), VALID_ONLY)
    c = Complaint.objects.get(number=dict(report.created)[2])
    ack = Milestone.objects.get(complaint=c, kind="ack")
    assert ack.met_at == at("2026-11-10 09:00")
    assert ack.breached_at is None


def test_importing_the_same_file_twice_stores_it_once(world):
    first = run(world, csv_file(), VALID_ONLY)
    second = run(world, csv_file(), VALID_ONLY)
    assert first.stored == 3
    assert second.stored == 0
    numbers = dict(first.created)
    assert [(e.row, e.message) for e in second.errors if e.row in GOOD_ROWS] == [
        (2, f"Already recorded as complaint {numbers[2]}."),
        (7, f"Already recorded as complaint {numbers[7]}."),
        (10, f"Already recorded as complaint {numbers[10]}."),
    ]


def test_an_open_row_older_than_a_year_must_be_closed_history(world):
    row = list(ROWS[0])
    row[1] = "2025-10-01 09:00"
    report = run(world, csv_file([row]), ALL_OR_NOTHING)
    assert [(e.row, e.field) for e in report.errors] == [(2, "received_at")]
    assert "closed history" in report.errors[0].message
    row[9] = "2025-10-03 09:00"
    report = run(world, csv_file([row]), ALL_OR_NOTHING)
    assert report.errors == [] and report.stored == 1


def test_closing_time_rules(world):
    before_received = list(ROWS[5])
    before_received[9] = "2024-02-01 10:00"
    future = list(ROWS[5])
    future[0], future[9] = "OLD-9", "2026-12-01 10:00"
    outcome_only = list(ROWS[0])
    outcome_only[10] = "已处理"
    report = run(world, csv_file([before_received, future, outcome_only]), ALL_OR_NOTHING)
    assert [(e.row, e.field, e.message) for e in report.errors] == [
        (2, "closed_at", "The closing time cannot be before the time received."),
        (3, "closed_at", "The closing time cannot be in the future."),
        (4, "outcome", "An outcome is for closed history: give the closing time too."),
    ]


def test_cells_of_every_kind_are_checked(world):
    row = list(ROWS[0])
    header_extra = ["是否紧急", "索赔金额", "订单号", "客户账号"]
    from tests.imports import conftest

    header = [*conftest.HEADER, *header_extra]
    bad = [*row, "也许", "12.345", "x" * 61, "NO-SUCH"]
    good = [*row[:4], "13900009999", *row[5:], "是", "\uffe51,200.50", "SO-1", ""]
    good[8] = "另一条投诉。"
    out = io.StringIO()
    import csv

    csv.writer(out).writerows([header, bad, good])
    file = io.BytesIO(out.getvalue().encode())
    report = run(world, file, VALID_ONLY)
    assert [(e.row, e.field, e.message) for e in report.errors] == [
        (2, "account_code", "Unknown customer account."),
        (2, "urgent", "Enter 是 (yes) or 否 (no)."),
        (2, "claimed_amount", "Use at most 2 decimal places."),
        (2, "order_no", "Ensure this value has at most 60 characters."),
    ]
    c = Complaint.objects.get(number=report.created[0][1])
    assert c.urgent is True
    assert str(c.claimed_amount) == "1200.50"
    assert c.order_no == "SO-1"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\xd0\xcf\x11\xe0rest", "Old Excel files (.xls) cannot be read: save it as .xlsx."),
        (b"PK\x03\x04broken", "The file could not be read as an Excel workbook (.xlsx)."),
        (b"foo,bar\n1,2\n", "Row 1 must hold the column names (see the template)."),
        (
            "客户姓名,投诉内容\n张三,x\n".encode(),
            "Columns missing: 受理时间 (received_at)、投诉事由 (category)、"
            "联系电话 (customer_phone).",
        ),
        (
            "客户姓名,customer_name\n".encode(),
            "Two columns give customer_name: 客户姓名 and customer_name.",
        ),
    ],
)
def test_a_file_that_cannot_be_used_is_refused_whole(world, content, message):
    before = counts()
    with pytest.raises(InvalidInput) as caught:
        run(world, io.BytesIO(content), VALID_ONLY)
    assert str(caught.value.message) == message
    assert caught.value.details["errors"] == {"file": message}
    assert counts() == before


def test_only_customer_service_and_admins_import(world):
    for who in ("handler", "manager", "executive", "quality", "customer_a"):
        with pytest.raises(PermissionDenied):
            run(world, csv_file(), VALID_ONLY, who=who)
    cs_manager = world.users["agent"].department.members.create(
        username="cs_manager", role="manager"
    )
    world.users["cs_manager"] = cs_manager
    assert run(world, csv_file(), VALID_ONLY, who="cs_manager").stored == 3
    assert run(world, csv_file(), VALID_ONLY, who="admin").stored == 0  # all duplicates now


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-05 14:30", "2026-10-05 14:30"),
        ("2026/10/5 14:30", "2026-10-05 14:30"),
        ("2026年10月5日 14:30", "2026-10-05 14:30"),
        ("2026-10-05T14:30:00+08:00", "2026-10-05 14:30"),
        ("2026-10-05T06:30:00Z", "2026-10-05 14:30"),
        ("2026-10-05 14：30", "2026-10-05 14:30"),
        ("2026-10-05", "2026-10-05 00:00"),
        (46300.6041666667, "2026-10-05 14:30"),  # an Excel day number
    ],
)
def test_dates_in_common_formats(text, expected):
    from django.utils import timezone

    moment = parse_moment(text)
    assert timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") == expected


def test_imported_numbers_follow_on_without_gaps_and_the_counter_is_kept(world):
    """Numbers of an import come from the day's counter held in memory (one write at the end):
    they continue today's sequence, skip nothing for refused rows, and the next complaint
    recorded after the import takes the number after them."""
    from django.utils import timezone

    from kesu.complaints.services.intake import next_number

    today = timezone.localdate()
    last_before = DailySequence.objects.filter(day=today).values_list("last", flat=True).first()
    report = run(world, FILES["xlsx"](), VALID_ONLY)
    numbers = sorted(number for _, number in report.created)
    seqs = [int(n.rsplit("-", 1)[1]) for n in numbers]
    first = (last_before or 0) + 1
    assert seqs == list(range(first, first + len(numbers)))
    assert DailySequence.objects.get(day=today).last == seqs[-1]
    assert next_number("KS", today).endswith(f"-{seqs[-1] + 1:04d}")


def test_a_refused_import_takes_no_numbers(world):
    before = counts()["numbers"]
    report = run(world, FILES["xlsx"](), ALL_OR_NOTHING)
    assert report.refused
    assert counts()["numbers"] == before
