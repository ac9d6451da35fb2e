"""Entering a year's arrangement: the service, the `calendar` command and the admin."""

from __future__ import annotations

from datetime import date, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from kesu.workcal.models import DayKind, OfficialDay, OfficialYear
from kesu.workcal.services import official_year_set

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("calendar", *args, stdout=out)
    return out.getvalue()


def test_set_replaces_the_years_days(django_user_model):
    user = django_user_model.objects.create_user("admin1")
    official_year_set(
        year=2027,
        days_off=[(date(2027, 1, 1), "元旦"), (date(2027, 2, 8), "春节")],
        working_days=[(date(2027, 2, 6), "调休上班")],
        notes="first",
    )
    entry = official_year_set(
        year=2027, days_off=[(date(2027, 1, 1), "元旦")], working_days=[], notes="fixed", user=user
    )
    assert OfficialYear.objects.count() == 1
    assert entry.notes == "fixed" and entry.entered_by == user
    assert [(d.date, d.kind, d.name) for d in OfficialDay.objects.all()] == [
        (date(2027, 1, 1), DayKind.DAY_OFF, "元旦")
    ]


@pytest.mark.parametrize(
    ("days_off", "working_days", "message"),
    [
        ([(date(2028, 1, 1), "元旦")], [], "2028-01-01 is not in 2027"),
        ([], [(date(2026, 12, 27), "调休上班")], "2026-12-27 is not in 2027"),
        ([(date(2027, 2, 6), "春节")], [(date(2027, 2, 6), "调休上班")], "2027-02-06"),
        ([(date(2027, 1, 1), "元旦"), (date(2027, 1, 1), "元旦")], [], "more than once"),
        ([(datetime(2027, 1, 1, 0, 0), "元旦")], [], "not a date"),
    ],
)
def test_set_refuses_bad_arrangements_and_keeps_the_old_one(days_off, working_days, message):
    official_year_set(year=2027, days_off=[(date(2027, 1, 1), "元旦")], working_days=[])
    with pytest.raises(ValueError, match=message):
        official_year_set(year=2027, days_off=days_off, working_days=working_days)
    assert list(OfficialDay.objects.values_list("date", flat=True)) == [date(2027, 1, 1)]


def test_command_status_set_year_and_show(tmp_path):
    status = run("status", "--today", "2026-11-23")
    assert "2026: package" in status
    assert "2027: none" in status

    notice = tmp_path / "2027.yaml"
    notice.write_text(
        "notes: 国办发明电 test\n"
        "days_off:\n  2027-01-01: 元旦\n  '2027-02-08': 春节\n"
        "working_days:\n  2027-02-06: 调休上班\n",
        encoding="utf-8",
    )
    assert "2027: 2 days off and 1 working days" in run("set-year", "2027", str(notice))
    assert OfficialYear.objects.get(year=2027).notes == "国办发明电 test"
    assert "2027: admin" in run("status", "--today", "2026-11-23")

    shown = run("show", "2027")
    assert "entered in the admin" in shown
    assert "2027-02-06 Sat  working day  调休上班" in shown
    assert "2027-01-01 Fri  day off      元旦" in shown

    package = run("show", "2026")
    assert "chinesecalendar" in package
    assert "2026-10-01 Thu  day off      国庆节" in package
    assert "2026-09-20 Sun  working day  国庆节" in package
    assert "no data" in run("show", "2030")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("days_off: {2026-01-01: 元旦}\n", "not in 2027"),
        ("holidays: {2027-01-01: 元旦}\n", "unknown keys"),
        ("days_off: [2027-01-01]\n", "mapping"),
        ("days_off: {first-of-january: 元旦}\n", "not a date"),
        ("- just a list\n", "mapping"),
    ],
)
def test_command_set_year_reports_bad_files(tmp_path, content, message):
    notice = tmp_path / "bad.yaml"
    notice.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        run("set-year", "2027", str(notice))
    with pytest.raises(CommandError, match="cannot read"):
        run("set-year", "2027", str(tmp_path / "missing.yaml"))


def test_admin_records_who_entered_the_year_and_checks_dates(
    admin_client, admin_user, settings, tmp_path
):
    settings.STATIC_ROOT = tmp_path  # whitenoise warns about a missing static directory
    url = reverse("admin:workcal_officialyear_add")
    assert admin_client.get(url).status_code == 200

    def post(day: str):
        return admin_client.post(
            url,
            {
                "year": "2027",
                "notes": "",
                "days-TOTAL_FORMS": "1",
                "days-INITIAL_FORMS": "0",
                "days-MIN_NUM_FORMS": "0",
                "days-MAX_NUM_FORMS": "1000",
                "days-0-date": day,
                "days-0-kind": DayKind.DAY_OFF,
                "days-0-name": "元旦",
            },
        )

    refused = post("2026-01-01")
    assert refused.status_code == 200
    assert "2026-01-01 不在 2027 年内" in refused.content.decode()  # the default language
    assert not OfficialYear.objects.exists()

    assert post("2027-01-01").status_code == 302
    entry = OfficialYear.objects.get(year=2027)
    assert entry.entered_by == admin_user
    assert entry.days.get().date == date(2027, 1, 1)
    changelist = admin_client.get(reverse("admin:workcal_officialyear_changelist"))
    assert changelist.status_code == 200
