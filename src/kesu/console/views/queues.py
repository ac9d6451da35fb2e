"""Queues, their CSV/Excel export, and search (SPEC §8).

The views read through :mod:`kesu.complaints.queues` (which complaints, which queue, which
filters, which page); they only turn the request into filters and the rows into a page or a
file. An htmx request aimed at the results (``HX-Target: results``) gets only the results.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from io import BytesIO
from typing import Any

from django import forms
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesu.accounts.models import Department
from kesu.complaints import queues
from kesu.complaints.errors import DomainError, NotFound
from kesu.complaints.models import Channel, Complaint
from kesu.complaints.states import State
from kesu.console.context import board
from kesu.web.access import staff_required
from kesu.web.errors import error_response
from kesu.web.forms import CheckedForm

PAGE_SIZE = 50
EXPORT_CAP = 50_000
SEARCH_MIN_LENGTH = 2
SEARCH_MAX_LENGTH = 100
PAGING_PARAMS = ("after", "before")

YES_NO = [("", gettext_lazy("Any")), ("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]


# --- the filter form -------------------------------------------------------------------------


class FilterForm(CheckedForm):
    """The GET filters of a queue. Invalid values are reported and left out; never a 500."""

    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)
    level = forms.ChoiceField(label=gettext_lazy("Level"), required=False)
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False)
    department = forms.ChoiceField(label=gettext_lazy("Department"), required=False)
    received_from = forms.DateField(
        label=gettext_lazy("Received from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_to = forms.DateField(
        label=gettext_lazy("Received to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    urgent = forms.ChoiceField(label=gettext_lazy("Urgent"), required=False, choices=YES_NO)
    repeat = forms.ChoiceField(label=gettext_lazy("Repeat"), required=False, choices=YES_NO)
    reopened = forms.ChoiceField(label=gettext_lazy("Reopened"), required=False, choices=YES_NO)

    def __init__(self, data: QueryDict) -> None:
        super().__init__(data)
        from kesu.policy.models import Policy

        active = Policy.objects.filter(is_active=True).first()
        doc = active.doc if active else None
        any_ = [("", _("Any"))]
        self.fields["state"].choices = any_ + list(State.choices)
        self.fields["level"].choices = any_ + [
            (lv.code, queues.local_name(lv)) for lv in (doc.levels if doc else [])
        ]
        self.fields["category"].choices = any_ + [
            (c.code, queues.local_name(c)) for c in (doc.categories if doc else [])
        ]
        self.fields["channel"].choices = any_ + list(Channel.choices)
        self.fields["department"].choices = any_ + [
            (d.code, queues.local_name(d)) for d in Department.objects.order_by("code")
        ]

    def filters(self) -> queues.ListFilters:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})

        def tri(name: str) -> bool | None:
            return {"yes": True, "no": False}.get(data.get(name) or "")

        start: date | None = data.get("received_from")
        end: date | None = data.get("received_to")
        return queues.ListFilters(
            states=(data["state"],) if data.get("state") else (),
            level=data.get("level") or None,
            category=data.get("category") or None,
            channel=data.get("channel") or None,
            department=data.get("department") or None,
            received_from=_midnight(start) if start else None,
            received_to=_midnight(end + timedelta(days=1)) if end else None,
            urgent=tri("urgent"),
            is_repeat=tri("repeat"),
            reopened=tri("reopened"),
        )

    @property
    def active_count(self) -> int:
        return sum(1 for name in self.fields if self.data.get(name))


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- helpers ---------------------------------------------------------------------------------


def _query(request: HttpRequest, *, drop: tuple[str, ...] = ()) -> str:
    """The request's query string without empty values and without ``drop``."""
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        kept = [v for v in values if v != ""]
        if key not in drop and kept:
            params.setlist(key, kept)
    return params.urlencode()


def _respond(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The page, or only its results for htmx; the address bar gets a tidy URL either way."""
    if not _wants_results(request):
        return render(request, template, context)
    response = render(request, template + "#results", context)
    query = _query(request)
    response["HX-Push-Url"] = request.path + (f"?{query}" if query else "")
    return response


def _rows(page_rows: list[Complaint], now: datetime) -> list[Complaint]:
    return queues.label_rows(page_rows, now=now)


def _wants_results(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and htmx.target == "results"


def _queue_or_404(request: HttpRequest, slug: str) -> queues.Queue:
    b = board(request)
    try:
        return queues.queue_for(request.user, slug, b.rules)
    except NotFound:
        raise Http404 from None


# --- queue -----------------------------------------------------------------------------------


@staff_required
def queue(request: HttpRequest, queue: str) -> HttpResponse:
    b = board(request)
    q = _queue_or_404(request, queue)
    form = FilterForm(request.GET)
    qs = queues.apply_filters(q.complaints(request.user, now=b.now, rules=b.rules), form.filters())
    try:
        result = queues.page(
            qs.select_related(*queues.LIST_RELATED),
            limit=PAGE_SIZE,
            after=request.GET.get("after"),
            before=request.GET.get("before"),
        )
    except DomainError as exc:
        return error_response(request, exc)
    filter_query = _query(request, drop=PAGING_PARAMS)
    context = {
        "title": q.label,
        "queue": q,
        "queue_name": q.slug,
        "form": form,
        "rows": _rows(result.rows, b.now),
        "page": result,
        "now": b.now,
        "filter_query": filter_query,
        "base_url": request.path,
        "export_cap": EXPORT_CAP,
    }
    return _respond(request, "console/queues/queue.html", context)


# --- export ----------------------------------------------------------------------------------

# The export's columns are the record's own fields, named as the model names them.
EXPORT_FIELDS = (
    "number",
    "received_at",
    "state",
    "level",
    "urgent",
    "category",
    "channel",
    "customer",
    "customer.company",
    "title",
    "department",
    "handler",
    "next_due_at",
    "is_overdue",
    "is_repeat",
    "reopen_count",
    "order_no",
    "waybill_no",
)


def _export_header() -> list[str]:
    from kesu.complaints.models import Customer

    out = []
    for name in EXPORT_FIELDS:
        model, _sep, field = name.rpartition(".")
        meta = Customer._meta if model else Complaint._meta
        out.append(capfirst(str(meta.get_field(field).verbose_name)))
    return out


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is kept as text (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _local(value: datetime | None) -> datetime | None:
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _export_values(c: Complaint, names: queues.PolicyNames) -> list[Any]:
    yes, no = _("Yes"), _("No")
    return [
        c.number,
        _local(c.received_at),
        str(State(c.state).label) if c.state in State.values else c.state,
        names.level(c.policy_id, c.level)[0],
        yes if c.urgent else no,
        names.category(c.policy_id, c.category),
        str(Channel(c.channel).label) if c.channel in Channel.values else c.channel,
        c.customer.name,
        c.customer.company,
        c.title,
        queues.local_name(c.department),
        str(c.handler) if c.handler else "",
        _local(c.next_due_at),
        yes if c.is_overdue else no,
        yes if c.is_repeat else no,
        c.reopen_count,
        c.order_no,
        c.waybill_no,
    ]


def _export_rows(qs) -> Iterator[tuple[list[Any] | None, bool]]:
    """The filtered rows in queue order, up to the cap; a final (None, True) when capped."""
    from kesu.policy.models import Policy

    names = queues.PolicyNames(Policy.objects.values_list("pk", flat=True))
    ordered = qs.select_related(*queues.LIST_RELATED).order_by(*queues.QUEUE_ORDER.order())
    for n, c in enumerate(ordered[: EXPORT_CAP + 1].iterator(chunk_size=2000)):
        if n == EXPORT_CAP:
            yield None, True
            return
        yield _export_values(c, names), False


def _capped_message() -> str:
    return _(
        "Only the first %(cap)s rows were exported. Narrow the filters to export the rest."
    ) % {"cap": f"{EXPORT_CAP:,}"}


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_stream(qs, language: str) -> Iterator[str]:
    with translation.override(language):
        writer = csv.writer(_Echo())
        yield "\ufeff"  # UTF-8 BOM: Excel then reads the Chinese correctly
        yield writer.writerow(_export_header())
        for values, capped in _export_rows(qs):
            if capped:
                yield writer.writerow([_capped_message()])
                return
            assert values is not None
            yield writer.writerow(
                [
                    v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else _cell(v)
                    for v in values
                ]
            )


def _xlsx(qs, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31] or "kesu")
    ws.append(_export_header())
    for values, capped in _export_rows(qs):
        if capped:
            ws.append([_capped_message()])
            break
        assert values is not None
        row = []
        for v in values:
            cell = WriteOnlyCell(ws, value=_cell(v))
            if isinstance(v, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            row.append(cell)
        ws.append(row)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


@staff_required
def export(request: HttpRequest, queue: str, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404
    b = board(request)
    q = _queue_or_404(request, queue)
    filters = FilterForm(request.GET).filters()
    qs = queues.apply_filters(q.complaints(request.user, now=b.now, rules=b.rules), filters)
    stamp = timezone.localtime(b.now).strftime("%Y%m%d-%H%M")
    filename = f"kesu-{q.slug}-{stamp}.{fmt}"
    response: HttpResponse | StreamingHttpResponse
    if fmt == "csv":
        language = translation.get_language() or "zh-hans"
        response = StreamingHttpResponse(
            _csv_stream(qs, language), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            _xlsx(qs, str(q.label)),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- search ----------------------------------------------------------------------------------


@staff_required
def search(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    term = queues.normalize_term(raw)[:SEARCH_MAX_LENGTH]
    now = timezone.now()
    context: dict[str, Any] = {
        "title": _("Search"),
        "nav": "search",
        "term": term,
        "rows": [],
        "page": None,
        "now": now,
        "base_url": request.path,
        "filter_query": _query(request, drop=PAGING_PARAMS),
        "too_short": bool(term) and len(term) < SEARCH_MIN_LENGTH,
    }
    if len(term) >= SEARCH_MIN_LENGTH:
        qs = queues.search(request.user, term).select_related(*queues.LIST_RELATED)
        try:
            result = queues.page(
                qs,
                limit=PAGE_SIZE,
                after=request.GET.get("after"),
                before=request.GET.get("before"),
                order=queues.RECENT_ORDER,
            )
        except DomainError as exc:
            return error_response(request, exc)
        context.update(rows=_rows(result.rows, now), page=result)
    return _respond(request, "console/search.html", context)
