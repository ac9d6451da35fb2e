"""The one declared table of actions on a complaint: from which states, to which, by whom.

Services enforce it (``kesu.complaints.access.require_action``); the API lists a complaint's
``allowed_actions`` from it; ``docs/lifecycle.md`` prints it. Business guards that depend on
more than state and role (an approval limit, open tasks, a different person for the callback)
live in the service that performs the action.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kesu.accounts.models import Role
from kesu.complaints.states import State

S = State
OPEN = State.open_states()
# States in which the responsible department is working on the case.
IN_HANDLING = frozenset(
    {S.ASSIGNED, S.INVESTIGATING, S.AWAITING_CUSTOMER, S.PENDING_APPROVAL, S.RESOLVING}
)


class Scope:
    """How a role's right is limited to a complaint."""

    ANY = "any"  # sees everything
    DEPARTMENT = "department"  # the complaint's responsible department
    OWN = "own"  # the customer's own complaint


@dataclass(frozen=True)
class Action:
    name: str
    label: Promise
    sources: frozenset[State]
    targets: frozenset[State]  # where it may lead; equal to sources for non-moving actions
    roles: frozenset[str]
    moves: bool = True

    def allows_role(self, role: str) -> bool:
        return role in self.roles


AGENT, HANDLER, MANAGER = Role.AGENT, Role.HANDLER, Role.MANAGER
EXECUTIVE, QUALITY, CUSTOMER = Role.EXECUTIVE, Role.QUALITY, Role.CUSTOMER
DEPT_STAFF = frozenset({HANDLER, MANAGER})


def _a(name, label, sources, targets=None, roles=(), moves=True) -> Action:
    sources = frozenset(sources)
    return Action(
        name=name,
        label=label,
        sources=sources,
        targets=frozenset(targets) if targets is not None else sources,
        roles=frozenset(roles),
        moves=moves,
    )


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        # --- moving the case along --------------------------------------------------------
        _a("dispatch", _("Grade and dispatch"), {S.RECEIVED}, {S.ASSIGNED}, {AGENT}),
        _a("accept", _("Accept"), {S.ASSIGNED}, {S.INVESTIGATING}, DEPT_STAFF),
        _a(
            "request_info",
            _("Ask the customer for information"),
            {S.INVESTIGATING},
            {S.AWAITING_CUSTOMER},
            {AGENT, HANDLER, MANAGER},
        ),
        _a(
            "provide_info",
            _("Information received"),
            {S.AWAITING_CUSTOMER},
            {S.INVESTIGATING},
            {CUSTOMER, AGENT, HANDLER, MANAGER},
        ),
        _a(
            "propose_solution",
            _("Propose a solution"),
            {S.INVESTIGATING},
            {S.PENDING_APPROVAL, S.RESOLVING},
            DEPT_STAFF,
        ),
        _a(
            "approve_solution",
            _("Approve the solution"),
            {S.PENDING_APPROVAL},
            {S.RESOLVING},
            {MANAGER, EXECUTIVE},
        ),
        _a(
            "refuse_solution",
            _("Refuse the solution"),
            {S.PENDING_APPROVAL},
            {S.INVESTIGATING},
            {MANAGER, EXECUTIVE},
        ),
        _a(
            "report_resolved",
            _("Report resolved"),
            {S.RESOLVING},
            {S.PENDING_REVIEW, S.PENDING_CALLBACK},
            DEPT_STAFF,
        ),
        _a("pass_review", _("Pass review"), {S.PENDING_REVIEW}, {S.PENDING_CALLBACK}, {AGENT}),
        _a(
            "return_for_rework",
            _("Return for rework"),
            {S.PENDING_REVIEW},
            {S.RESOLVING},
            {AGENT},
        ),
        _a(
            "record_callback",
            _("Record a callback"),
            {S.PENDING_CALLBACK},
            {S.PENDING_CALLBACK, S.CLOSED, S.INVESTIGATING},
            # the policy's ``callback.by_roles`` narrows this down
            {AGENT, HANDLER, MANAGER, QUALITY},
        ),
        _a(
            "rate",
            _("Rate the outcome"),
            {S.PENDING_CALLBACK},
            {S.CLOSED, S.INVESTIGATING},
            {CUSTOMER},
        ),
        _a(
            "reopen",
            _("Reopen (secondary handling)"),
            {S.CLOSED},
            {S.INVESTIGATING},
            {
                AGENT,
                CUSTOMER,
            },
        ),
        _a("reject", _("Reject"), {S.RECEIVED, S.ASSIGNED}, {S.REJECTED}, {AGENT, MANAGER}),
        _a("merge", _("Merge into another complaint"), OPEN, {S.MERGED}, {AGENT}),
        # --- work on the case that does not move it ---------------------------------------
        _a(
            "acknowledge",
            _("Acknowledge to the customer"),
            OPEN,
            roles={AGENT, *DEPT_STAFF},
            moves=False,
        ),
        # A new department must accept the case: reassigning it away from one that had
        # accepted puts it back to `assigned`.
        _a("reassign", _("Reassign"), IN_HANDLING, IN_HANDLING, {AGENT, MANAGER}),
        _a(
            "change_level",
            _("Change level"),
            OPEN - {S.PENDING_CALLBACK},
            roles={AGENT, MANAGER},
            moves=False,
        ),
        _a(
            "add_note",
            _("Add a note"),
            OPEN | {S.CLOSED},
            roles={AGENT, HANDLER, MANAGER, EXECUTIVE, QUALITY},
            moves=False,
        ),
        _a("add_info", _("Add information"), OPEN, roles={CUSTOMER}, moves=False),
        _a(
            "log_communication",
            _("Log a contact with the customer"),
            OPEN,
            roles={AGENT, HANDLER, MANAGER},
            moves=False,
        ),
        _a(
            "add_attachment",
            _("Add an attachment"),
            OPEN,
            roles={AGENT, HANDLER, MANAGER, CUSTOMER},
            moves=False,
        ),
        _a(
            "set_root_cause",
            _("Record findings and root cause"),
            IN_HANDLING | {S.PENDING_REVIEW},
            roles=DEPT_STAFF,
            moves=False,
        ),
        _a(
            "add_task",
            _("Ask another department"),
            IN_HANDLING,
            roles={AGENT, HANDLER, MANAGER},
            moves=False,
        ),
        _a(
            "complete_task",
            _("Complete a task"),
            OPEN,
            roles={AGENT, HANDLER, MANAGER},
            moves=False,
        ),
        _a(
            "complete_action",
            _("Mark a solution action done"),
            {S.RESOLVING},
            roles=DEPT_STAFF,
            moves=False,
        ),
        _a(
            "record_meeting",
            _("Record a meeting"),
            IN_HANDLING,
            roles={AGENT, HANDLER, MANAGER, EXECUTIVE},
            moves=False,
        ),
        _a(
            "request_extension",
            _("Ask for more time"),
            OPEN - {S.RECEIVED},
            roles=DEPT_STAFF,
            moves=False,
        ),
        _a(
            "decide_extension",
            _("Decide on more time"),
            OPEN,
            roles={MANAGER, EXECUTIVE},
            moves=False,
        ),
    ]
}
# Actions a department-scoped role may take on a complaint of another department,
# because the work itself belongs to their department (a task) or is an approval
# escalated to them by amount.
CROSS_DEPARTMENT = frozenset({"complete_task"})


def action(name: str) -> Action:
    return ACTIONS[name]
