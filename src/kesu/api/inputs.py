"""Request bodies and query filters. They check shape and bounds only; the services decide
what is allowed (STYLE: no domain rules in the API layer)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Schema
from ninja.parser import Parser
from pydantic import ConfigDict, Field

from kesu.api.fields import (
    Amount,
    Code,
    Hours,
    Id,
    Int32,
    LongText,
    Moment,
    Str3,
    Str10,
    Str20,
    Str30,
    Str32,
    Str60,
    Str100,
    Str200,
    Str254,
    Str500,
    Version,
)
from kesu.complaints.states import State


class JsonBody(Parser):
    """Bodies are UTF-8 JSON, read strictly: Python's ``json.loads`` would take invalid bytes
    (an encoded surrogate) from bytes and hand on text no database stores. Anything else is a
    400 (``kesu.api.errors``)."""

    def parse_body(self, request: HttpRequest) -> Any:
        return json.loads(request.body.decode("utf-8-sig"))  # a leading BOM is ignored


class In(Schema):
    model_config = ConfigDict(extra="forbid")


class Versioned(In):
    version: Version | None = Field(
        default=None,
        description="The complaint version the client last saw: a stale one gets 409 "
        "changed_by_someone_else.",
    )


# --- intake ----------------------------------------------------------------------------------


class ComplaintIn(In):
    """Mirrors ``kesu.complaints.services.intake.NewComplaint``."""

    customer_name: Str100
    channel: Str20
    description: LongText
    title: Str200 = ""
    customer_company: Str200 = ""
    customer_phone: Str30 = ""
    customer_email: Str254 = ""
    account_code: Code = ""
    received_at: Moment | None = None
    category: Code = ""
    level: Str10 = ""
    urgent: bool | None = None
    demand: LongText = ""
    claimed_amount: Amount | None = None
    order_no: Str60 = ""
    waybill_no: Str60 = ""
    contract_no: Str60 = ""
    goods: Str200 = ""
    origin: Str100 = ""
    destination: Str100 = ""
    product: Str200 = ""
    batch_no: Str60 = ""
    incident_at: Moment | None = None
    incident_place: Str200 = ""
    platform_case_no: Str60 = ""
    language: Str10 = Field(
        default="",
        description="The customer's language for their messages: zh-hans (default) or en.",
    )


class ComplaintFilters(Schema):
    """Query filters; unknown parameters are ignored (cache busters, tracking tags)."""

    state: list[State] = Field(default_factory=list)
    level: Str10 | None = None
    category: Code | None = None
    channel: Str20 | None = None
    department: Code | None = Field(default=None, description="department code")
    handler: Id | None = Field(default=None, description="handler user id")
    is_repeat: bool | None = None
    is_overdue: bool | None = None
    reopened: bool | None = Field(default=None, description="reopened at least once")
    received_from: Moment | None = Field(default=None, description="received at or after")
    received_to: Moment | None = Field(default=None, description="received before")
    q: Str100 | None = Field(
        default=None,
        description="number, phone, customer name, order or waybill no., title or description",
    )
    after: Str500 | None = Field(default=None, description="cursor from the previous page")
    limit: int = Field(default=50, ge=1, le=200)


# --- moving the case along -------------------------------------------------------------------


class DispatchIn(Versioned):
    department: Code | None = Field(
        default=None, description="department code; none: the policy's default route"
    )
    handler: Id | None = None
    level: Str10 | None = None
    urgent: bool | None = None
    category: Code | None = None
    note: LongText = ""


class MessageIn(Versioned):
    message: LongText


class TextIn(Versioned):
    text: LongText


class ReasonIn(Versioned):
    reason: LongText


class OptionalReasonIn(Versioned):
    reason: LongText = ""


class NoteIn(Versioned):
    note: LongText = ""


class SummaryIn(Versioned):
    summary: LongText = ""


class ActionItemIn(In):
    kind: Str30
    description: LongText = ""
    owner: Id | None = None
    due_at: Moment | None = None
    amount: Amount = Decimal("0")


class SolutionIn(Versioned):
    summary: LongText
    actions: list[ActionItemIn] = Field(min_length=1, max_length=50)
    root_cause: Code | None = None
    root_cause_text: LongText | None = None
    findings: LongText | None = None
    amount: Amount | None = None


class CallbackIn(Versioned):
    reached: bool
    method: Str20 = "phone"
    outcome_rating: Int32 | None = None
    process_rating: Int32 | None = None
    accepted: bool | None = None
    notes: LongText = ""


class RateIn(Versioned):
    outcome_rating: Int32
    process_rating: Int32
    accepted: bool
    comment: LongText = ""


class RejectIn(Versioned):
    reason: LongText
    recourse: LongText = ""


class MergeIn(Versioned):
    into: Str32 = Field(description="number of the complaint to merge into")


# --- work on the case ------------------------------------------------------------------------


class AcknowledgeIn(Versioned):
    channel: Str20 = "phone"
    summary: LongText = ""


class CommunicationIn(Versioned):
    channel: Str20
    direction: Str3
    summary: LongText
    template: Str60 = ""
    at: Moment | None = None


class ReassignIn(Versioned):
    department: Code | None = None
    handler: Id | None = None
    reason: LongText = ""


class LevelIn(Versioned):
    level: Str10
    urgent: bool | None = None
    reason: LongText


class RootCauseIn(Versioned):
    root_cause: Code
    root_cause_text: LongText = ""
    findings: LongText = ""


class TaskIn(Versioned):
    department: Code
    title: Str200
    owner: Id | None = None
    due_at: Moment | None = None
    required: bool = True


class TaskDoneIn(Versioned):
    result: LongText


class MeetingIn(Versioned):
    held_at: Moment
    participants: LongText
    decision: LongText


class ExtensionIn(Versioned):
    milestone: Str30
    hours: Hours
    reason: LongText


class DecisionIn(Versioned):
    approve: bool
    reason: LongText = ""
