"""Business volume: entered once per month, kind and department; imported from CSV / xlsx;
the complaint rate's denominator only for whole months that all have an entry."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from openpyxl import Workbook

from kesu.analysis.models import BusinessVolume
from kesu.analysis.periods import Period
from kesu.analysis.volume import period_volume, volume_import, volume_set
from kesu.complaints.errors import InvalidInput


@pytest.fixture
def depts(db):
    from kesu.policy.loader import policy_load

    policy_load("logistics-service")


def test_one_row_per_month_kind_and_department(depts):
    volume_set(month="2026-10", volume=100)
    volume_set(month="2026-10-15", volume=120)  # a correction of the same month
    volume_set(month="2026-10", volume=7, kind="waybills")
    volume_set(month="2026-10", volume=30, department="transport")
    assert BusinessVolume.objects.count() == 3
    assert BusinessVolume.objects.get(kind="orders", department=None).volume == 120
    with pytest.raises(IntegrityError), transaction.atomic():
        BusinessVolume.objects.create(month="2026-10-01", kind="orders", volume=1)


def test_period_volume(depts):
    oct_, nov = Period.month(2026, 10), Period.month(2026, 11)
    assert period_volume(oct_) is None
    volume_set(month="2026-10", volume=100, kind="waybills")
    assert period_volume(oct_).kind == "waybills"  # the only kind entered
    volume_set(month="2026-10", volume=50)
    assert (period_volume(oct_).kind, period_volume(oct_).volume) == ("orders", 50)
    both = Period(oct_.start, nov.end)
    assert period_volume(both) is None  # November missing
    volume_set(month="2026-11", volume=70)
    assert period_volume(both).volume == 120
    assert period_volume(Period.days(oct_.first_day, oct_.first_day)) is None  # one day
    from kesu.accounts.models import Department

    transport = Department.objects.get(code="transport").pk
    assert period_volume(oct_, department_id=transport) is None


def test_import_csv_and_xlsx(depts):
    csv = '月份,业务量\n2026-09,800\n2026/10,"1,000"\n'.encode()
    rows = volume_import(csv, filename="v.csv")
    assert [(f"{r.month:%Y-%m}", r.volume) for r in rows] == [("2026-09", 800), ("2026-10", 1000)]
    book = Workbook()
    book.active.append(["month", "volume"])
    book.active.append(["2026-11", 900])
    data = io.BytesIO()
    book.save(data)
    volume_import(data.getvalue(), filename="v.xlsx", kind="waybills")
    assert BusinessVolume.objects.get(kind="waybills").volume == 900


def test_import_is_all_or_nothing(depts):
    with pytest.raises(InvalidInput) as err:
        volume_import(b"2026-09,800\n2026-13,5\n", filename="v.csv")
    assert "2" in str(err.value.message)
    assert not BusinessVolume.objects.exists()
    with pytest.raises(InvalidInput):
        volume_import(b"2026-09,-3\n", filename="v.csv")


def test_command(depts, tmp_path, capsys):
    path = tmp_path / "volume.csv"
    path.write_text("month,volume\n2026-10,1000\n", encoding="utf-8")
    call_command("volume", "import", str(path), "--kind", "orders")
    assert "1 months imported" in capsys.readouterr().out
    call_command("volume", "show")
    assert "2026-10  orders" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("volume", "import", str(tmp_path / "missing.csv"))


def test_console_page(depts):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tests.conftest import make_people

    p = make_people()
    client = Client()
    client.force_login(p.managers["customer_service"])
    page = client.get("/console/analysis/volume/")
    assert page.status_code == 200 and 'data-test="volume-entry"' in page.content.decode()
    r = client.post("/console/analysis/volume/", {"month": "2026-10", "volume": "1000"})
    assert r.status_code == 302
    assert BusinessVolume.objects.get().volume == 1000
    r = client.post("/console/analysis/volume/", {"month": "October", "volume": "1"})
    assert r.status_code == 422 and 'data-test="error-month"' in r.content.decode()
    upload = SimpleUploadedFile("v.csv", b"2026-11,900\n", content_type="text/csv")
    assert client.post("/console/analysis/volume/", {"file": upload}).status_code == 302
    assert BusinessVolume.objects.count() == 2
    for who in (p.managers["transport"], p.quality, p.agent):
        other = Client()
        other.force_login(who)
        assert other.get("/console/analysis/volume/").status_code == 403
