"""Every action of the lifecycle table by its name, with the inputs a client sends.

The REST API and the staff console both turn a request into ``perform(name, complaint=…,
actor=…, **inputs)``. Inputs are what a form or a JSON body holds: codes, numbers and ids
(``handler=12``, ``task=7``, ``into="KS-20261116-0002"``), not objects; this module resolves
them the one way both interfaces share, then calls the one service of that action. Rights,
states and business rules stay in the services.

Reference errors: an unknown user is invalid input on its field; a task or an extension
request that is not this complaint's is "not found"; a merge target the actor may not see is
invalid input on ``into``, like one that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from kesu.accounts.models import User
from kesu.complaints.access import Actor, complaint_for_user, require_action
from kesu.complaints.errors import (
    ConcurrentModification,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from kesu.complaints.models import Complaint, DeadlineExtension, Task
from kesu.complaints.services import records, transitions
from kesu.complaints.services.transitions import ActionInput

# What a complaint number may look like (KS-20261116-0007); anything else is not one.
NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{0,31}$")


def active_user(user_id: int | None, field: str) -> User | None:
    """The active user with id ``user_id`` (None stays None); else invalid input on ``field``."""
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).select_related("department").first()
    if user is None:
        raise InvalidInput(errors={field: _("Unknown user.")})
    return user


def read_upload(upload: Any) -> bytes:
    """An uploaded file's content, read up to one byte past the limit: enough for the service
    to refuse an oversized file without reading all of it into memory."""
    return upload.read(settings.KESU_MAX_UPLOAD_BYTES + 1)


def refuse_early(name: str, *, complaint: Complaint, actor: Actor, version: int | None) -> None:
    """Raise, before any input is read, what the service would answer an actor who may not
    take action ``name`` now, in the order the service checks it (``complaint_change``):
    not found or not allowed whatever the version; an action the current state forbids is
    "changed by someone else" when the client's ``version`` is stale; a stale version is.

    Pages use it so a forged or outdated form is refused as such, not for its inputs.
    ``complaint`` is the row as just read."""
    stale = version is not None and version != complaint.version
    try:
        require_action(actor, name, complaint)
    except InvalidTransition:
        if stale:
            raise ConcurrentModification() from None
        raise
    if stale:
        raise ConcurrentModification()


# --- one performer per action ----------------------------------------------------------------
# Each takes the complaint, the actor and the action's inputs as keywords, and returns what
# its service returns.


def _dispatch(c, actor, *, handler=None, **inputs):
    return transitions.complaint_dispatch(
        complaint=c, actor=actor, handler=active_user(handler, "handler"), **inputs
    )


def _propose_solution(c, actor, *, actions: Iterable[Mapping[str, Any]], **inputs):
    items = [
        ActionInput(
            kind=item["kind"],
            description=item.get("description", ""),
            owner=active_user(item.get("owner"), f"actions.{i}.owner"),
            due_at=item.get("due_at"),
            amount=item.get("amount", Decimal("0")),
        )
        for i, item in enumerate(actions)
    ]
    return transitions.complaint_propose_solution(complaint=c, actor=actor, actions=items, **inputs)


def _merge(c, actor, *, into: str):
    try:
        if not NUMBER.match(into or ""):
            raise NotFound()
        target = complaint_for_user(actor, number=into)
    except NotFound:
        raise InvalidInput(errors={"into": _("No such complaint.")}) from None
    return transitions.complaint_merge(complaint=c, actor=actor, into=target)


def _add_attachment(c, actor, *, file, visible_to_customer: bool = True):
    return records.complaint_add_attachment(
        complaint=c,
        actor=actor,
        name=file.name or "",
        content=read_upload(file),
        content_type=file.content_type or "",
        visible_to_customer=visible_to_customer,
    )


def _reassign(c, actor, *, handler=None, **inputs):
    return records.complaint_reassign(
        complaint=c, actor=actor, handler=active_user(handler, "handler"), **inputs
    )


def _add_task(c, actor, *, owner=None, **inputs):
    return records.complaint_add_task(
        complaint=c, actor=actor, owner=active_user(owner, "owner"), **inputs
    )


def _complete_task(c, actor, *, task: int, result: str):
    found = Task.objects.filter(pk=task, complaint=c).first()
    if found is None:
        raise NotFound(_("Not found."))
    return records.complaint_complete_task(complaint=c, actor=actor, task=found, result=result)


def _decide_extension(c, actor, *, extension: int, **inputs):
    found = (
        DeadlineExtension.objects.filter(pk=extension, milestone__complaint=c)
        .select_related("milestone", "requested_by")
        .first()
    )
    if found is None:
        raise NotFound(_("Not found."))
    return records.complaint_decide_extension(complaint=c, actor=actor, extension=found, **inputs)


def _service(function: Callable[..., Any]) -> Callable[..., Any]:
    """A performer for a service whose inputs need no resolving."""

    def run(c, actor, **inputs):
        return function(complaint=c, actor=actor, **inputs)

    run.__name__ = function.__name__
    return run


PERFORMERS: dict[str, Callable[..., Any]] = {
    "dispatch": _dispatch,
    "accept": _service(transitions.complaint_accept),
    "request_info": _service(transitions.complaint_request_info),
    "provide_info": _service(transitions.complaint_provide_info),
    "propose_solution": _propose_solution,
    "approve_solution": _service(transitions.complaint_approve_solution),
    "refuse_solution": _service(transitions.complaint_refuse_solution),
    "report_resolved": _service(transitions.complaint_report_resolved),
    "pass_review": _service(transitions.complaint_pass_review),
    "return_for_rework": _service(transitions.complaint_return_for_rework),
    "record_callback": _service(transitions.complaint_record_callback),
    "rate": _service(transitions.complaint_rate),
    "reopen": _service(transitions.complaint_reopen),
    "reject": _service(transitions.complaint_reject),
    "merge": _merge,
    "acknowledge": _service(records.complaint_acknowledge),
    "reassign": _reassign,
    "change_level": _service(records.complaint_change_level),
    "add_note": _service(records.complaint_add_note),
    "add_info": _service(records.complaint_add_info),
    "log_communication": _service(records.complaint_log_communication),
    "add_attachment": _add_attachment,
    "set_root_cause": _service(records.complaint_set_root_cause),
    "add_task": _add_task,
    "complete_task": _complete_task,
    "complete_action": _service(records.complaint_complete_action),
    "record_meeting": _service(records.complaint_record_meeting),
    "request_extension": _service(records.complaint_request_extension),
    "decide_extension": _decide_extension,
}


def perform(name: str, *, complaint: Complaint, actor: Actor, **inputs: Any) -> Any:
    """Take action ``name`` on ``complaint`` as ``actor`` with ``inputs``; returns what the
    action's service returns (the complaint, or the solution, callback, task … it made).
    ``complaint.version`` is the version the client claims to have seen."""
    try:
        performer = PERFORMERS[name]
    except KeyError:
        raise NotFound(_("Not found.")) from None
    return performer(complaint, actor, **inputs)
