"""Business volume (orders or waybills per month): entered, imported, and summed for a period.

The complaint rate of a period is against the volume of the calendar months it is made of: a
period that is not whole months, or a month without an entry, has no complaint rate (None,
never a guess). With a department filter, the department's own entries are used.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from django.db import transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from kesu.accounts.models import Department
from kesu.analysis.models import BusinessVolume, VolumeKind
from kesu.analysis.periods import Period
from kesu.complaints.errors import InvalidInput
from kesu.complaints.input_rules import in_year_range

# The column is a bigint.
MAX_VOLUME = 2**63 - 1
# When both are entered for every month, the rate is against orders.
KIND_PREFERENCE = (VolumeKind.ORDERS, VolumeKind.WAYBILLS)


@dataclass(frozen=True)
class VolumeTotal:
    kind: str
    volume: int


def period_volume(
    period: Period, *, department_id: int | None = None, kind: str | None = None
) -> VolumeTotal | None:
    """The volume of the period's months, of the first kind (``kind``, else orders, then
    waybills) entered for every one of them; None when there is none. One query."""
    months = period.whole_months()
    if not months:
        return None
    rows = (
        BusinessVolume.objects.filter(month__in=months, department_id=department_id)
        .values("kind")
        .annotate(n=Count("pk"), total=Sum("volume"))
    )
    complete = {r["kind"]: r["total"] for r in rows if r["n"] == len(months)}
    for candidate in (kind,) if kind else KIND_PREFERENCE:
        if candidate in complete:
            return VolumeTotal(kind=str(candidate), volume=int(complete[candidate]))
    return None


def parse_month(value: Any) -> date:
    """'2026-10', '2026/10', '2026-10-01', a date or a datetime → date(2026, 10, 1)."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.replace(day=1)
    text = str(value or "").strip().replace("/", "-").replace(".", "-")
    try:
        first = Period.parse_month(text[:7]).first_day
    except ValueError:
        raise InvalidInput(
            errors={"month": _("%(value)s is not a month (YYYY-MM).") % {"value": text[:20]}}
        ) from None
    if not in_year_range(first):
        raise InvalidInput(errors={"month": _("The date is out of range.")})
    return first


def _department(code: str | None) -> Department | None:
    if not code:
        return None
    # No code holds a NUL, which PostgreSQL cannot even compare.
    dept = None if "\x00" in code else Department.objects.filter(code=code).first()
    if dept is None:
        raise InvalidInput(errors={"department": _("Unknown department.")})
    return dept


def _volume(value: Any) -> int:
    try:
        number = int(str(value).replace(",", "").strip())
    except ValueError:
        number = -1
    if number < 0:
        raise InvalidInput(errors={"volume": _("The volume must be a whole number, zero or more.")})
    if number > MAX_VOLUME:
        raise InvalidInput(errors={"volume": _("The number is too large.")})
    return number


def volume_set(
    *,
    month: Any,
    volume: Any,
    kind: str = VolumeKind.ORDERS,
    department: str | None = None,
    actor: Any = None,
) -> BusinessVolume:
    """Enter (or correct) one month's volume."""
    if kind not in VolumeKind.values:
        raise InvalidInput(errors={"kind": _("The kind must be orders or waybills.")})
    first, number, dept = parse_month(month), _volume(volume), _department(department)
    row, _created = BusinessVolume.objects.update_or_create(
        month=first,
        kind=kind,
        department=dept,
        defaults={"volume": number, "updated_by": actor},
    )
    return row


def volume_rows(*, kind: str | None = None, department: str | None = None, limit: int = 24):
    qs = BusinessVolume.objects.select_related("department").order_by("-month", "kind")
    if kind:
        qs = qs.filter(kind=kind)
    if department is not None:
        qs = qs.filter(department__code=department) if department else qs.filter(department=None)
    return list(qs[:limit])


def read_volume_file(data: bytes, filename: str) -> list[tuple[Any, Any]]:
    """(month, volume) pairs from a CSV (UTF-8, with or without BOM; GBK accepted) or an
    .xlsx file's first sheet: two columns, a header row allowed."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        rows = [tuple(r[:2]) for r in sheet.iter_rows(values_only=True)]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gbk")
        rows = [tuple(r[:2]) for r in csv.reader(io.StringIO(text)) if r]
    pairs = [(m, v) for m, v in ((*r, None)[:2] for r in rows) if m not in (None, "")]
    if pairs and not _looks_like_month(pairs[0][0]):
        pairs = pairs[1:]  # header
    return pairs


def _looks_like_month(value: Any) -> bool:
    try:
        parse_month(value)
    except InvalidInput:
        return False
    return True


def volume_import(
    file: IO[bytes] | bytes,
    *,
    filename: str,
    kind: str = VolumeKind.ORDERS,
    department: str | None = None,
    actor: Any = None,
) -> list[BusinessVolume]:
    """Import months and volumes; all rows or none (a bad row names its line)."""
    data = file if isinstance(file, bytes) else file.read()
    pairs = read_volume_file(data, filename)
    saved = []
    with transaction.atomic():
        for line, (month, volume) in enumerate(pairs, start=1):
            try:
                saved.append(
                    volume_set(
                        month=month,
                        volume=volume,
                        kind=kind,
                        department=department,
                        actor=actor,
                    )
                )
            except InvalidInput as exc:
                problems = "; ".join(str(v) for v in exc.details.get("errors", {}).values())
                raise InvalidInput(
                    _("Row %(line)s: %(problem)s") % {"line": line, "problem": problems},
                    errors={"file": problems},
                ) from None
    return saved
