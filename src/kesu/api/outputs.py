"""Response shapes. ``kesu.api.presenters`` fills them, leaving out what the viewer may not
see; a section a customer does not get is empty (lists) or null."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    code: str
    message: str
    errors: dict[str, str] = {}
    details: dict[str, Any] | None = None


class PersonOut(Schema):
    """A user as others see them: staff ids are omitted for customers."""

    id: int | None = None
    display_name: str
    role: str | None = None


class DepartmentOut(Schema):
    code: str
    name: str
    name_en: str = ""


class CustomerOut(Schema):
    name: str
    company: str
    phone: str
    email: str
    account: str | None = None
    key_customer: bool = False


class GradeOut(Schema):
    chosen: Any
    suggested: Any


class GradingOut(Schema):
    level: GradeOut
    category: GradeOut
    urgent: GradeOut
    reasons: list[Any]


class MilestoneOut(Schema):
    id: int
    round_no: int
    kind: str
    name: str
    clock: str
    status: str
    started_at: datetime
    due_at: datetime | None
    original_due_at: datetime | None
    extended: bool
    met_at: datetime | None
    met_on_time: bool | None
    breached_at: datetime | None
    paused: bool


class RoundOut(Schema):
    number: int
    started_at: datetime
    reason: str
    resolved_at: datetime | None
    closed_at: datetime | None
    outcome_rating: int | None
    process_rating: int | None
    satisfied: bool | None


class SolutionActionOut(Schema):
    id: int
    kind: str
    description: str
    owner: PersonOut | None
    due_at: datetime | None
    amount: Decimal
    done_at: datetime | None


class SolutionOut(Schema):
    id: int
    round_no: int
    summary: str
    amount: Decimal
    status: str
    required_role: str | None
    proposed_by: PersonOut | None
    proposed_at: datetime
    decided_by: PersonOut | None
    decided_at: datetime | None
    decision_reason: str
    actions: list[SolutionActionOut]


class TaskOut(Schema):
    id: int
    round_no: int
    department: str
    owner: PersonOut | None
    title: str
    due_at: datetime | None
    required: bool
    status: str
    result: str
    created_by: PersonOut | None
    created_at: datetime
    done_at: datetime | None


class CallbackOut(Schema):
    id: int
    round_no: int
    by: PersonOut | None
    at: datetime
    method: str
    reached: bool
    outcome_rating: int | None
    process_rating: int | None
    accepted: bool | None
    notes: str


class ExtensionOut(Schema):
    id: int
    milestone: str
    status: str
    hours: float
    reason: str
    requested_by: PersonOut | None
    requested_at: datetime
    decided_by: PersonOut | None
    decided_at: datetime | None
    decision_reason: str


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: PersonOut | None
    uploaded_at: datetime
    visible_to_customer: bool


class CommunicationOut(Schema):
    id: int
    round_no: int
    channel: str
    direction: str
    summary: str
    by: PersonOut | None
    at: datetime


class MeetingOut(Schema):
    id: int
    held_at: datetime
    participants: str
    decision: str
    recorded_by: PersonOut | None


class LinkOut(Schema):
    kind: str
    direction: str  # "out": this complaint is a repeat of / merged into the other
    number: str


class EventOut(Schema):
    id: int
    round_no: int
    kind: str
    kind_label: str
    action: str
    from_state: str
    to_state: str
    actor: PersonOut | None
    at: datetime
    data: dict[str, Any]


class ComplaintSummaryOut(Schema):
    number: str
    title: str
    state: str
    state_label: str
    version: int
    channel: str
    level: str
    urgent: bool
    category: str
    customer_name: str
    department: DepartmentOut | None
    handler: PersonOut | None
    received_at: datetime
    next_due_at: datetime | None
    is_overdue: bool
    is_repeat: bool
    reopen_count: int
    round_no: int


class ComplaintPageOut(Schema):
    items: list[ComplaintSummaryOut]
    next: str | None


class ComplaintDetailOut(Schema):
    number: str
    title: str
    description: str
    demand: str
    state: str
    state_label: str
    version: int
    policy: str
    channel: str
    platform_case_no: str
    received_at: datetime
    recorded_at: datetime
    received_by: PersonOut | None
    level: str
    urgent: bool
    category: str
    grading: GradingOut | None
    claimed_amount: Decimal | None
    order_no: str
    waybill_no: str
    contract_no: str
    goods: str
    origin: str
    destination: str
    product: str
    batch_no: str
    incident_at: datetime | None
    incident_place: str
    customer: CustomerOut
    department: DepartmentOut | None
    handler: PersonOut | None
    findings: str | None
    root_cause: str | None
    root_cause_text: str | None
    round_no: int
    reopen_count: int
    is_repeat: bool
    is_overdue: bool
    breach_count: int
    next_due_at: datetime | None
    closed_at: datetime | None
    close_reason: str
    rejection_reason: str
    rejection_recourse: str
    merged_into: str | None
    milestones: list[MilestoneOut]
    rounds: list[RoundOut]
    solutions: list[SolutionOut]
    tasks: list[TaskOut]
    callbacks: list[CallbackOut]
    extensions: list[ExtensionOut]
    attachments: list[AttachmentOut]
    links: list[LinkOut]
    allowed_actions: list[str]


# Sub-objects an action creates, with the complaint's version after the change.


class Created(Schema):
    complaint_version: int


class SolutionCreatedOut(SolutionOut, Created):
    pass


class CallbackCreatedOut(CallbackOut, Created):
    pass


class CommunicationCreatedOut(CommunicationOut, Created):
    pass


class EventCreatedOut(EventOut, Created):
    pass


class AttachmentCreatedOut(AttachmentOut, Created):
    pass


class TaskCreatedOut(TaskOut, Created):
    pass


class MeetingCreatedOut(MeetingOut, Created):
    pass


class ExtensionCreatedOut(ExtensionOut, Created):
    pass


class SolutionActionDoneOut(SolutionActionOut, Created):
    pass


# --- reference data --------------------------------------------------------------------------


class NamedOut(Schema):
    code: str
    name: str
    name_en: str = ""


class LevelOut(NamedOut):
    rank: int
    description: str


class CategoryOut(NamedOut):
    department: str
    business_stage: str


class PolicyDepartmentOut(NamedOut):
    customer_service: bool


class ChannelOut(Schema):
    code: str
    label: str
    live: bool


class MilestoneRuleOut(Schema):
    kind: str
    name: str
    name_en: str
    start: str
    clock: str
    pausable: bool
    durations: dict[str, str]
    urgent: str | None


class PolicyOut(Schema):
    name: str
    version: int
    title: str
    title_en: str
    levels: list[LevelOut]
    default_level: str
    categories: list[CategoryOut]
    departments: list[PolicyDepartmentOut]
    channels: list[ChannelOut]
    milestones: list[MilestoneRuleOut]
    root_causes: list[NamedOut]
    solution_action_kinds: list[NamedOut]
    contact_channels: list[str]
    review_step: bool
    reopen_window_days: int


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    department: DepartmentOut | None
