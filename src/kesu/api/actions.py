"""One endpoint per action of the lifecycle table (``kesu.complaints.lifecycle.ACTIONS``).

Each view resolves the complaint through ``complaint_for_user`` (not visible: 404), hands the
body to ``services.perform`` (the action's one service, with the references in it resolved as
the console resolves them) and returns. Rights, states and business rules are the services'
(403, 409, 422). A body's optional ``version`` makes a stale client's change fail with 409.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Status, UploadedFile

from kesu.api import presenters
from kesu.api.auth import user_of
from kesu.api.fields import Id, Version
from kesu.api.inputs import (
    AcknowledgeIn,
    CallbackIn,
    CommunicationIn,
    DecisionIn,
    DispatchIn,
    ExtensionIn,
    LevelIn,
    MeetingIn,
    MergeIn,
    MessageIn,
    NoteIn,
    OptionalReasonIn,
    RateIn,
    ReasonIn,
    ReassignIn,
    RejectIn,
    RootCauseIn,
    SolutionIn,
    SummaryIn,
    TaskDoneIn,
    TaskIn,
    TextIn,
    Versioned,
)
from kesu.api.lookup import complaint_of
from kesu.api.outputs import (
    AttachmentCreatedOut,
    CallbackCreatedOut,
    CommunicationCreatedOut,
    ComplaintDetailOut,
    ErrorOut,
    EventCreatedOut,
    ExtensionCreatedOut,
    MeetingCreatedOut,
    SolutionActionDoneOut,
    SolutionCreatedOut,
    TaskCreatedOut,
)
from kesu.complaints.access import complaint_for_user
from kesu.complaints.models import Complaint
from kesu.complaints.services.perform import perform

router = Router(tags=["actions"])

ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
DETAIL: dict[int, Any] = {200: ComplaintDetailOut, **ERRORS}


def _detail(request: HttpRequest, complaint: Complaint) -> dict[str, Any]:
    user = user_of(request)
    return presenters.detail(complaint_for_user(user, pk=complaint.pk), user)


def _inputs(body: Versioned) -> dict[str, Any]:
    """The body's fields as the action's inputs (the version travels on the complaint)."""
    return body.model_dump(exclude={"version"})


def _created(request: HttpRequest, complaint: Complaint, present: Any, obj: Any) -> dict[str, Any]:
    viewer = presenters.Viewer(user_of(request), complaint)
    return {**present(obj, viewer), "complaint_version": complaint.version}


# --- moving the case along -------------------------------------------------------------------


@router.post("/complaints/{number}/dispatch", response=DETAIL, operation_id="complaint_dispatch")
def dispatch(request: HttpRequest, number: str, body: DispatchIn) -> dict[str, Any]:
    """Grade and dispatch to a department (and optionally a handler)."""
    complaint = complaint_of(request, number, version=body.version)
    perform("dispatch", complaint=complaint, actor=user_of(request), **_inputs(body))
    return _detail(request, complaint)


@router.post("/complaints/{number}/accept", response=DETAIL, operation_id="complaint_accept")
def accept(request: HttpRequest, number: str, body: Versioned | None = None) -> dict[str, Any]:
    """The department takes the case on."""
    complaint = complaint_of(request, number, version=body.version if body else None)
    perform("accept", complaint=complaint, actor=user_of(request))
    return _detail(request, complaint)


@router.post(
    "/complaints/{number}/request-info", response=DETAIL, operation_id="complaint_request_info"
)
def request_info(request: HttpRequest, number: str, body: MessageIn) -> dict[str, Any]:
    """Ask the customer for information; resolution clocks pause."""
    complaint = complaint_of(request, number, version=body.version)
    perform("request_info", complaint=complaint, actor=user_of(request), **_inputs(body))
    return _detail(request, complaint)


@router.post(
    "/complaints/{number}/provide-info", response=DETAIL, operation_id="complaint_provide_info"
)
def provide_info(request: HttpRequest, number: str, body: TextIn) -> dict[str, Any]:
    """The information the customer was asked for; clocks resume."""
    complaint = complaint_of(request, number, version=body.version)
    perform("provide_info", complaint=complaint, actor=user_of(request), **_inputs(body))
    return _detail(request, complaint)


@router.post(
    "/complaints/{number}/solution",
    response={201: SolutionCreatedOut, **ERRORS},
    operation_id="complaint_propose_solution",
)
def propose_solution(request: HttpRequest, number: str, body: SolutionIn) -> Status:
    """Propose a solution; above the proposer's authority it waits for approval."""
    complaint = complaint_of(request, number, version=body.version)
    solution = perform(
        "propose_solution", complaint=complaint, actor=user_of(request), **_inputs(body)
    )
    return Status(201, _created(request, complaint, presenters.solution, solution))


@router.post(
    "/complaints/{number}/solution/approve",
    response=DETAIL,
    operation_id="complaint_approve_solution",
)
def approve_solution(
    request: HttpRequest, number: str, body: OptionalReasonIn | None = None
) -> dict[str, Any]:
    body = body or OptionalReasonIn()
    complaint = complaint_of(request, number, version=body.version)
    perform("approve_solution", complaint=complaint, actor=user_of(request), **_inputs(body))
    return _detail(request, complaint)


@router.post(
    "/complaints/{number}/solution/refuse",
    response=DETAIL,
    operation_id="complaint_refuse_solution",
)
def refuse_solution(request: HttpRequest, number: str, body: ReasonIn) -> dict[str, Any]:
    complaint = complaint_of(request, number, version=body.version)
    perform("refuse_solution", complaint=complaint, actor=user_of(request), **_inputs(body))
    return _detail(request, complaint)


@router.post(
    "/complaints/{number}/resolve", response=DETAIL, operation_id="complaint_report_resolved"
)
def report_resolved(
    request: HttpRequest, number: str, body: SummaryIn | None = None
) -> dict[str, Any]:
    """The handler reports the solution carried out."""
    body = body or SummaryIn()
    complaint = complaint_of(request, number, version=body.version)
    perform("report_resolved", complaint=complaint, actor=user_of(request), **_inputs(body))
    return _detail(request, complaint)


@router.post(
    "/complaints/{number}/review/pass", response=DETAIL, operation_id="complaint_pass_review"
)
def pass_review(request: HttpRequest, number: str, body: NoteIn | None = None) -> dict[str, Any]:
    body = body or NoteIn()
    complaint = complaint_of(request, number, version=body.version)
    perform("pass_review", complaint=complaint, actor=user_of(request), **_inputs(body))
    return _detail(request, complaint)


@router.post(
    "/complaints/{number}/review/return",
    response=DETAIL,
    operation_id="complaint_return_for_rework",
)
def return_for_rework(request: HttpRequest, number: str, body: ReasonIn) -> dict[str, Any]:
    complaint = complaint_of(request, number, version=body.version)
    perform("return_for_rework", complaint=complaint, actor=user_of(request), **_inputs(body))
    return _detail(request, complaint)


@router.post(
    "/complaints/{number}/callbacks",
    response={201: CallbackCreatedOut, **ERRORS},
    operation_id="complaint_record_callback",
)
def record_callback(request: HttpRequest, number: str, body: CallbackIn) -> Status:
    """A callback attempt, reached or not, by someone other than the handler."""
    complaint = complaint_of(request, number, version=body.version)
    cb = perform("record_callback", complaint=complaint, actor=user_of(request), **_inputs(body))
    return Status(201, _created(request, complaint, presenters.callback, cb))


@router.post("/complaints/{number}/rate", response=DETAIL, operation_id="complaint_rate")
def rate(request: HttpRequest, number: str, body: RateIn) -> dict[str, Any]:
    """The customer answers the callback survey."""
    complaint = complaint_of(request, number, version=body.version)
    perform("rate", complaint=complaint, actor=user_of(request), **_inputs(body))
    return _detail(request, complaint)


@router.post("/complaints/{number}/reopen", response=DETAIL, operation_id="complaint_reopen")
def reopen(request: HttpRequest, number: str, body: ReasonIn) -> dict[str, Any]:
    """Secondary handling within the reopen window: a new handling round."""
    complaint = complaint_of(request, number, version=body.version)
    perform("reopen", complaint=complaint, actor=user_of(request), **_inputs(body))
    return _detail(request, complaint)


@router.post("/complaints/{number}/reject", response=DETAIL, operation_id="complaint_reject")
def reject(request: HttpRequest, number: str, body: RejectIn) -> dict[str, Any]:
    """Not a complaint for this company (不予受理), with the customer's recourse."""
    complaint = complaint_of(request, number, version=body.version)
    perform("reject", complaint=complaint, actor=user_of(request), **_inputs(body))
    return _detail(request, complaint)


@router.post("/complaints/{number}/merge", response=DETAIL, operation_id="complaint_merge")
def merge(request: HttpRequest, number: str, body: MergeIn) -> dict[str, Any]:
    """Fold this duplicate into the complaint numbered ``into``."""
    complaint = complaint_of(request, number, version=body.version)
    perform("merge", complaint=complaint, actor=user_of(request), **_inputs(body))
    return _detail(request, complaint)


# --- work on the case ------------------------------------------------------------------------


@router.post(
    "/complaints/{number}/acknowledge", response=DETAIL, operation_id="complaint_acknowledge"
)
def acknowledge(
    request: HttpRequest, number: str, body: AcknowledgeIn | None = None
) -> dict[str, Any]:
    """Tell the customer the complaint is accepted."""
    body = body or AcknowledgeIn()
    complaint = complaint_of(request, number, version=body.version)
    perform("acknowledge", complaint=complaint, actor=user_of(request), **_inputs(body))
    return _detail(request, complaint)


@router.post(
    "/complaints/{number}/communications",
    response={201: CommunicationCreatedOut, **ERRORS},
    operation_id="complaint_log_communication",
)
def log_communication(request: HttpRequest, number: str, body: CommunicationIn) -> Status:
    """Log a contact with the customer (channel, direction, summary)."""
    complaint = complaint_of(request, number, version=body.version)
    comm = perform(
        "log_communication", complaint=complaint, actor=user_of(request), **_inputs(body)
    )
    return Status(201, _created(request, complaint, presenters.communication, comm))


@router.post(
    "/complaints/{number}/notes",
    response={201: EventCreatedOut, **ERRORS},
    operation_id="complaint_add_note",
)
def add_note(request: HttpRequest, number: str, body: TextIn) -> Status:
    """An internal note on the timeline."""
    complaint = complaint_of(request, number, version=body.version)
    ev = perform("add_note", complaint=complaint, actor=user_of(request), **_inputs(body))
    return Status(201, _created(request, complaint, presenters.event, ev))


@router.post(
    "/complaints/{number}/info",
    response={201: EventCreatedOut, **ERRORS},
    operation_id="complaint_add_info",
)
def add_info(request: HttpRequest, number: str, body: TextIn) -> Status:
    """The customer adds information while the case is open."""
    complaint = complaint_of(request, number, version=body.version)
    ev = perform("add_info", complaint=complaint, actor=user_of(request), **_inputs(body))
    return Status(201, _created(request, complaint, presenters.event, ev))


@router.post(
    "/complaints/{number}/attachments",
    response={201: AttachmentCreatedOut, **ERRORS},
    operation_id="complaint_add_attachment",
)
def add_attachment(
    request: HttpRequest,
    number: str,
    file: File[UploadedFile],
    visible_to_customer: Form[bool] = True,
    version: Form[Version | None] = None,
) -> Status:
    """Upload a file (multipart/form-data: ``file``, ``visible_to_customer``, ``version``)."""
    complaint = complaint_of(request, number, version=version)
    att = perform(
        "add_attachment",
        complaint=complaint,
        actor=user_of(request),
        file=file,
        visible_to_customer=visible_to_customer,
    )
    return Status(201, _created(request, complaint, presenters.attachment, att))


@router.post("/complaints/{number}/reassign", response=DETAIL, operation_id="complaint_reassign")
def reassign(request: HttpRequest, number: str, body: ReassignIn) -> dict[str, Any]:
    """Another handler or department; a new department must accept the case."""
    complaint = complaint_of(request, number, version=body.version)
    perform("reassign", complaint=complaint, actor=user_of(request), **_inputs(body))
    return _detail(request, complaint)


@router.post("/complaints/{number}/level", response=DETAIL, operation_id="complaint_change_level")
def change_level(request: HttpRequest, number: str, body: LevelIn) -> dict[str, Any]:
    """Raise or lower the level; open deadlines are recomputed."""
    complaint = complaint_of(request, number, version=body.version)
    perform("change_level", complaint=complaint, actor=user_of(request), **_inputs(body))
    return _detail(request, complaint)


@router.post(
    "/complaints/{number}/root-cause", response=DETAIL, operation_id="complaint_set_root_cause"
)
def set_root_cause(request: HttpRequest, number: str, body: RootCauseIn) -> dict[str, Any]:
    complaint = complaint_of(request, number, version=body.version)
    perform("set_root_cause", complaint=complaint, actor=user_of(request), **_inputs(body))
    return _detail(request, complaint)


@router.post(
    "/complaints/{number}/tasks",
    response={201: TaskCreatedOut, **ERRORS},
    operation_id="complaint_add_task",
)
def add_task(request: HttpRequest, number: str, body: TaskIn) -> Status:
    """Work for another department (e.g. finance pays the compensation)."""
    complaint = complaint_of(request, number, version=body.version)
    task = perform("add_task", complaint=complaint, actor=user_of(request), **_inputs(body))
    return Status(201, _created(request, complaint, presenters.task, task))


@router.post(
    "/complaints/{number}/tasks/{task_id}/complete",
    response={200: TaskCreatedOut, **ERRORS},
    operation_id="complaint_complete_task",
)
def complete_task(
    request: HttpRequest, number: str, task_id: Id, body: TaskDoneIn
) -> dict[str, Any]:
    complaint = complaint_of(request, number, version=body.version)
    task = perform(
        "complete_task",
        complaint=complaint,
        actor=user_of(request),
        task=task_id,
        **_inputs(body),
    )
    return _created(request, complaint, presenters.task, task)


@router.post(
    "/complaints/{number}/actions/{action_id}/complete",
    response={200: SolutionActionDoneOut, **ERRORS},
    operation_id="complaint_complete_action",
)
def complete_action(
    request: HttpRequest, number: str, action_id: Id, body: Versioned | None = None
) -> dict[str, Any]:
    """Mark one action of the approved solution done."""
    complaint = complaint_of(request, number, version=body.version if body else None)
    act = perform(
        "complete_action", complaint=complaint, actor=user_of(request), action_id=action_id
    )
    return _created(request, complaint, presenters.solution_action, act)


@router.post(
    "/complaints/{number}/meetings",
    response={201: MeetingCreatedOut, **ERRORS},
    operation_id="complaint_record_meeting",
)
def record_meeting(request: HttpRequest, number: str, body: MeetingIn) -> Status:
    """A cross-department meeting: participants and decision."""
    complaint = complaint_of(request, number, version=body.version)
    meeting = perform(
        "record_meeting", complaint=complaint, actor=user_of(request), **_inputs(body)
    )
    return Status(201, _created(request, complaint, presenters.meeting, meeting))


@router.post(
    "/complaints/{number}/extensions",
    response={201: ExtensionCreatedOut, **ERRORS},
    operation_id="complaint_request_extension",
)
def request_extension(request: HttpRequest, number: str, body: ExtensionIn) -> Status:
    """Ask for more time on a running deadline."""
    complaint = complaint_of(request, number, version=body.version)
    ext = perform("request_extension", complaint=complaint, actor=user_of(request), **_inputs(body))
    return Status(201, _created(request, complaint, presenters.extension, ext))


@router.post(
    "/complaints/{number}/extensions/{extension_id}/decide",
    response={200: ExtensionCreatedOut, **ERRORS},
    operation_id="complaint_decide_extension",
)
def decide_extension(
    request: HttpRequest, number: str, extension_id: Id, body: DecisionIn
) -> dict[str, Any]:
    """The manager approves or refuses more time."""
    complaint = complaint_of(request, number, version=body.version)
    ext = perform(
        "decide_extension",
        complaint=complaint,
        actor=user_of(request),
        extension=extension_id,
        **_inputs(body),
    )
    return _created(request, complaint, presenters.extension, ext)
