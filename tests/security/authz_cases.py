"""The authorization matrix's roles, world and expectations (tests/security/test_authz_matrix.py).

The expectations are SPEC §1 written down role by role here, not read from
``kesu.complaints.access`` or ``lifecycle.ACTIONS``, so the matrix can find a server that
grants more (or less) than SPEC:

- a customer sees only their own complaints, and nothing internal of them (internal notes,
  files not shared with the customer); a portal link is the key to one complaint only;
- customer service (agents and the customer-service manager), quality, executives and admins
  see every complaint; a handler or a department manager sees their department's;
- who takes which action is SPEC §3's table (``ACTION_ROLES``), narrowed by the department
  (handlers and managers act on their department's complaints; a task also by the department
  it was asked of), the policy's callback roles (b2b: customer service) and the approval tiers
  (a manager approves within their limit);
- analysis and reports: executives, quality, admins and the customer-service manager read
  everything, a department manager their department's; business volume is entered by the
  customer-service manager, executives and admins;
- improvement actions (quality owns them): those who see every complaint see them all, other
  staff their department's; the owner, a manager of the department, quality and admins work on
  them; quality and admins check their effect; audits are drawn and scored by quality and
  admins and read by executives and by department managers for their department;
- batch alerts: staff who see one of their complaints, and the owners of their measures;
- a customer's data requests (export, erasure): admins and the customer-service manager;
  renewing a portal link: customer service and admins;
- the console is for staff (anonymous → sign-in, customers → 403); the API answers an
  anonymous caller 401; an object the reader may not see is "not found" (404), so ids and
  sequential numbers cannot be probed.

Where SPEC is silent, the matrix takes what a customer-service manager would expect: the
customer-service manager sees every complaint and the whole analysis, as customer service
owns the procedure (归口管理), and otherwise works from a manager's queues.

A refused request is sent as the real thing (a valid body, the current version): a server that
let it through would change the data, and the matrix says so. An allowed request is a probe
that passes every right and then fails harmlessly, so the world stays the same for all other
checks: a stale ``version`` (409: the services check it after the rights), a bad month or
title (422 after the right was checked), or an action, audit or alert in a status the step
does not start from (409).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from kesu.accounts.models import ApiToken, Department, Role, User
from kesu.complaints.models import BatchAlert, Complaint, Customer, EmergencyMeasure
from kesu.complaints.services import batches, records, transitions
from kesu.complaints.states import State
from kesu.improvement import audits as audit_services
from kesu.improvement import services as improvement
from kesu.improvement.models import CHECKLIST_FIELDS, Audit
from kesu.outbox.models import Notification
from kesu.outbox.worker import run_worker
from kesu.reports.models import ReportSource
from kesu.reports.services import report_generate
from tests.api.conftest import DEPT, NOW, OTHER_DEPT, TASK_DEPT
from tests.conftest import at
from tests.improvement.conftest import Improvement

X, Y, CS = DEPT, OTHER_DEPT, "customer_service"  # two departments, and customer service
OCTOBER = date(2026, 10, 1)
NEXT_WEEK = NOW + timedelta(days=7)

# --- the roles ------------------------------------------------------------------------------

ANON = "anonymous"
ROLE_OF = {
    "customer_a": Role.CUSTOMER,
    "customer_b": Role.CUSTOMER,
    "agent": Role.AGENT,
    "handler_x": Role.HANDLER,
    "handler_y": Role.HANDLER,
    "manager_x": Role.MANAGER,
    "manager_y": Role.MANAGER,
    "cs_manager": Role.MANAGER,  # the manager of customer service
    "quality": Role.QUALITY,
    "executive": Role.EXECUTIVE,
    "admin": Role.ADMIN,
}
ROLES: tuple[str, ...] = (ANON, *ROLE_OF)
AUTHENTICATED = frozenset(ROLE_OF)
CUSTOMERS = {"customer_a": "A", "customer_b": "B"}
STAFF = AUTHENTICATED - set(CUSTOMERS)
DEPARTMENT_OF = {"agent": CS, "cs_manager": CS}
DEPARTMENT_OF |= {
    f"{kind}_{d}": code for kind in ("handler", "manager") for d, code in (("x", X), ("y", Y))
}
DEPARTMENT_STAFF = frozenset({"handler_x", "handler_y", "manager_x", "manager_y", "cs_manager"})
DEPT_MANAGERS = frozenset({"manager_x", "manager_y"})

SEES_ALL = frozenset({"agent", "cs_manager", "quality", "executive", "admin"})
ANALYSIS_ALL = frozenset({"executive", "quality", "admin", "cs_manager"})
ANALYSIS = ANALYSIS_ALL | DEPT_MANAGERS
VOLUME = frozenset({"executive", "admin", "cs_manager"})
IMPORTERS = frozenset({"agent", "admin", "cs_manager"})
CONSOLE_INTAKE = frozenset({"agent"})
API_INTAKE = frozenset({"agent", "admin", "customer_a", "customer_b"})
ACTION_CREATORS = frozenset({"quality", "executive", "admin", "cs_manager"}) | DEPT_MANAGERS
CHECKERS = frozenset({"quality", "admin"})  # check improvement actions, draw and score audits
AUDIT_READERS = frozenset({"quality", "admin", "executive", "cs_manager"}) | DEPT_MANAGERS
MEASURE_ROLES = frozenset({"quality", "executive", "cs_manager"}) | DEPT_MANAGERS
ALERT_CLOSERS = frozenset({"quality", "executive"})
DATA_REQUESTS = frozenset({"admin", "cs_manager"})
LINK_RENEWERS = frozenset({"agent", "cs_manager", "admin"})
# The queues each role works from (SPEC §8) under the b2b policy: no review step, callbacks by
# customer service.
QUEUES_OF: dict[str, frozenset[str]] = {
    "mine": frozenset({"agent"}) | DEPARTMENT_STAFF,
    "department": DEPARTMENT_STAFF,
    "unassigned": frozenset({"agent"}),
    "review": frozenset(),
    "approval": frozenset({"cs_manager", "executive"}) | DEPT_MANAGERS,
    "callback": frozenset({"agent"}),
    "due_soon": STAFF,
    "overdue": STAFF,
}
LANDING = {ANON: "/portal/", "customer_a": "/portal/mine/", "customer_b": "/portal/mine/"}
LANDING |= {"agent": "/console/queue/unassigned/", "quality": "/console/"}
LANDING |= {"executive": "/console/", "admin": "/console/"}
LANDING |= dict.fromkeys(("handler_x", "handler_y"), "/console/queue/mine/")
LANDING |= dict.fromkeys(("manager_x", "manager_y", "cs_manager"), "/console/queue/department/")

# Who takes which action (SPEC §1 and §3), written out rather than read from the code, so a
# change of rights fails the matrix until SPEC and this table agree again.
CUSTOMER, AGENT, HANDLER, MANAGER = Role.CUSTOMER, Role.AGENT, Role.HANDLER, Role.MANAGER
EXECUTIVE, QUALITY = Role.EXECUTIVE, Role.QUALITY
DEPT_ROLES = frozenset({HANDLER, MANAGER})
ACTION_ROLES: dict[str, frozenset[str]] = {
    "dispatch": frozenset({AGENT}),
    "accept": DEPT_ROLES,
    "request_info": DEPT_ROLES | {AGENT},
    "provide_info": DEPT_ROLES | {CUSTOMER, AGENT},
    "propose_solution": DEPT_ROLES,
    "approve_solution": frozenset({MANAGER, EXECUTIVE}),
    "refuse_solution": frozenset({MANAGER, EXECUTIVE}),
    "report_resolved": DEPT_ROLES,
    "pass_review": frozenset({AGENT}),
    "return_for_rework": frozenset({AGENT}),
    "record_callback": DEPT_ROLES | {AGENT, QUALITY},  # narrowed by the policy
    "rate": frozenset({CUSTOMER}),
    "reopen": frozenset({AGENT, CUSTOMER}),
    "reject": frozenset({AGENT, MANAGER}),
    "merge": frozenset({AGENT}),
    "acknowledge": DEPT_ROLES | {AGENT},
    "reassign": frozenset({AGENT, MANAGER}),
    "change_level": frozenset({AGENT, MANAGER}),
    "add_note": DEPT_ROLES | {AGENT, EXECUTIVE, QUALITY},
    "add_info": frozenset({CUSTOMER}),
    "log_communication": DEPT_ROLES | {AGENT},
    "add_attachment": DEPT_ROLES | {AGENT, CUSTOMER},
    "set_root_cause": DEPT_ROLES,
    "add_task": DEPT_ROLES | {AGENT},
    "complete_task": DEPT_ROLES | {AGENT},
    "complete_action": DEPT_ROLES,
    "record_meeting": DEPT_ROLES | {AGENT, EXECUTIVE},
    "request_extension": DEPT_ROLES,
    "decide_extension": frozenset({MANAGER, EXECUTIVE}),
}

# --- what a request should get ----------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    statuses: frozenset[int]
    label: str
    location: str | None = None  # a redirect must go here (a prefix of its Location)
    allowed: bool = False  # the role passed the gate: it gets the probe, not the real request

    def __str__(self) -> str:
        return self.label


def expect(*codes: int, label: str = "", location: str | None = None, allowed: bool = False):
    return Expect(frozenset(codes), label or "/".join(map(str, codes)), location, allowed)


OK = expect(200, allowed=True)
LOGIN = expect(302, label="302 to sign-in", location="/accounts/login/?next=")
ADMIN_LOGIN = expect(302, label="302 to the admin's sign-in", location="/admin/login/?next=")
FORBIDDEN = expect(403)
NOT_FOUND = expect(404)
DENIED = expect(403, 404, label="403 or 404")
UNAUTHORIZED = expect(401)
NOT_ALLOWED = expect(405)
STALE = expect(409, label="allowed (409 stale version)", allowed=True)
WRONG_STATUS = expect(409, label="allowed (409 wrong status)", allowed=True)
BAD_INPUT = expect(422, label="allowed (422 bad input)", allowed=True)


def redirect(to: str) -> Expect:
    return expect(302, label=f"302 to {to}", location=to, allowed=True)


Rule = Callable[[str], Expect]


def console(ok: frozenset[str], yes: Expect = OK, no: Expect = FORBIDDEN) -> Rule:
    """A console page: anonymous → sign-in, customers → 403, staff in ``ok`` → ``yes``."""

    def rule(role: str) -> Expect:
        if role == ANON:
            return LOGIN
        if role in CUSTOMERS:
            return FORBIDDEN
        return yes if role in ok else no

    return rule


def api(ok: frozenset[str], yes: Expect = OK, no: Expect = FORBIDDEN) -> Rule:
    """An API operation: anonymous → 401, callers in ``ok`` → ``yes``."""
    return lambda role: UNAUTHORIZED if role == ANON else yes if role in ok else no


def everyone(e: Expect) -> Rule:
    return lambda role: e


def hidden(rule: Rule, seen: Callable[[str], bool], when: frozenset[str] = STAFF) -> Rule:
    """``rule``, except that a role of ``when`` that may not see the object gets 404."""
    return lambda role: NOT_FOUND if role in when and not seen(role) else rule(role)


# --- who sees what ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    """A complaint of the world, with what SPEC's rules need to know about it."""

    number: str
    customer: str  # "A" or "B"
    dept: str | None
    tier: str = "manager"  # who may approve its pending solution


def sees(role: str, c: Known) -> bool:
    if role in CUSTOMERS:
        return CUSTOMERS[role] == c.customer
    return role in SEES_ALL or (role in DEPARTMENT_STAFF and DEPARTMENT_OF[role] == c.dept)


def sees_action(role: str, dept: str) -> bool:
    """Improvement actions (owner and action of one department here)."""
    return role in SEES_ALL or (role in DEPARTMENT_STAFF and DEPARTMENT_OF[role] == dept)


def sees_audit(role: str, dept: str) -> bool:
    return role in {"quality", "admin", "executive"} or (
        role in DEPT_MANAGERS and DEPARTMENT_OF[role] == dept
    )


def sees_alert(role: str, dept: str) -> bool:
    """Alert X holds complaint "a" (its measure is handler X's), alert Y complaint "b"."""
    return role in SEES_ALL or (role in DEPARTMENT_STAFF and DEPARTMENT_OF[role] == dept)


def sees_run(role: str, dept: str | None) -> bool:
    return role in ANALYSIS_ALL or (role in DEPT_MANAGERS and DEPARTMENT_OF[role] == dept)


def may_act(role: str, action: str, c: Known) -> bool:
    if ROLE_OF.get(role) not in ACTION_ROLES[action]:
        return False
    if action == "record_callback":
        return ROLE_OF[role] == AGENT  # b2b: customer service calls back (非原处理人)
    if action in ("approve_solution", "refuse_solution") and c.tier == "executive":
        return role == "executive"
    if role in DEPARTMENT_STAFF:
        own = DEPARTMENT_OF[role]
        return own == c.dept or (action == "complete_task" and own == TASK_DEPT)
    return True


def may_step(role: str, step: str, dept: str) -> bool:
    """Improvement steps: updates by the owner, a manager of the department, quality and
    admins; the check of the effect and cancelling (the creator is quality) by quality and
    admins."""
    if role in CHECKERS:
        return True
    return (
        step in ("start", "complete") and role in DEPARTMENT_STAFF and (DEPARTMENT_OF[role] == dept)
    )


# --- the world ------------------------------------------------------------------------------

NOTE_SECRET = "内部备注AUTHZ核查"  # an internal note: never shown to a customer
INTERNAL_FILE = "internal-authz-check.png"  # a file not shared with the customer
ACTION_TITLE = {X: "AUTHZ措施X改进订单评审", Y: "AUTHZ措施Y改进报价流程"}
BATCH = {X: "PK-AUTHZ-X", Y: "PK-AUTHZ-Y"}
CONTACTS = {"A": ("陈建国", "13816620001"), "B": ("刘芳", "13962110002")}


@dataclass
class World:
    imp: Improvement
    users: dict[str, User]
    tokens: dict[str, str]
    complaints: dict[str, Complaint]
    known: dict[str, Known]
    objects: dict[str, Any]
    secrets: dict[str, frozenset[str]] = field(default_factory=dict)
    browsers: dict[str, Client] = field(default_factory=dict)
    api_client: Client = field(default_factory=Client)

    def number(self, key: str) -> str:
        return self.complaints[key].number

    def version(self, key: str) -> int:
        row = Complaint.objects.filter(pk=self.complaints[key].pk)
        return row.values_list("version", flat=True)[0]

    def pk(self, key: str) -> int:
        return self.objects[key].pk

    def browser(self, role: str) -> Client:
        if role not in self.browsers:
            client = Client(HTTP_ACCEPT_LANGUAGE="en")
            if role != ANON:
                client.force_login(self.users[role])
            self.browsers[role] = client
        return self.browsers[role]


def fresh(c: Complaint) -> Complaint:
    c.refresh_from_db()
    return c


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def build_world(imp: Improvement) -> World:
    """Two customers' complaints in two departments, one not yet dispatched and one in each
    state an action starts from; files, tasks and extension requests; improvement actions,
    audits, batch alerts, kept reports and notifications; all through the services."""
    u = imp.users
    User.objects.filter(pk=u["admin"].pk).update(is_staff=True, is_superuser=True)
    # The console world's names for the roles (tests/console/conftest.py).
    names = {"handler_x": "handler", "handler_y": "other_handler"}
    names |= {"manager_x": "manager", "manager_y": "other_manager"}
    users = {role: u[names.get(role, role)] for role in ROLE_OF if role in names or role in u}
    users["cs_manager"] = User.objects.get(username=f"m_{CS}")
    users["admin"] = User.objects.get(pk=u["admin"].pk)
    tokens = {role: ApiToken.issue(user=user, name="authz")[1] for role, user in users.items()}
    objects: dict[str, Any] = {}
    complaints = _complaints(imp, users, objects)
    known = {
        k: Known(
            c.number, "B" if k == "b" else "A", {"b": Y, "merged": Y, "received": None}.get(k, X)
        )
        for k, c in complaints.items()
    }
    known["approval_executive"] = Known(complaints["approval_executive"].number, "A", X, EXECUTIVE)
    objects["solution_action"] = imp.approved_action(complaints["resolving"])
    objects["merge_target"] = complaints["assigned"]
    objects |= _improvement(imp)
    objects |= _audits(users)
    objects |= _alerts(users, complaints["a"], complaints["b"])
    objects |= _report_runs(users)
    assert run_worker(once=True, jobs=[]) == 0  # in-app notifications
    # Someone else's notification: no role of the matrix may read or mark it.
    others = Notification.objects.exclude(user__in=list(users.values())).order_by("pk")
    objects["notification"] = others.first()
    assert objects["notification"] is not None, "nobody outside the matrix was told anything"
    world = World(imp, users, tokens, complaints, known, objects)
    world.secrets = {role: role_secrets(world, role) for role in ROLES}
    return world


def _complaints(imp: Improvement, users: dict[str, User], objects: dict) -> dict[str, Complaint]:
    """The complaints by key (their files, tasks and extension requests go into ``objects``)."""
    handler_x, handler_y = users["handler_x"], users["handler_y"]
    a = imp.in_department(X)
    records.complaint_add_note(complaint=a, actor=handler_x, text=NOTE_SECRET)
    for key, name, shared in (
        ("shared_file", "receipt.png", True),
        ("internal_file", INTERNAL_FILE, False),
    ):
        objects[key] = records.complaint_add_attachment(
            complaint=fresh(a),
            actor=handler_x,
            name=name,
            content=png_bytes(),
            content_type="image/png",
            visible_to_customer=shared,
        )
    objects["task"] = imp.add_task(fresh(a))
    objects["extension"] = imp.request_extension(fresh(a))
    b = imp.in_department(Y, customer="customer_b")
    objects["b_file"] = records.complaint_add_attachment(
        complaint=fresh(b),
        actor=handler_y,
        name="b.png",
        content=png_bytes(),
        content_type="image/png",
    )
    objects["b_task"] = records.complaint_add_task(
        complaint=fresh(b), actor=handler_y, department=TASK_DEPT, title="核对发票"
    )
    objects["b_extension"] = records.complaint_request_extension(
        complaint=fresh(b), actor=handler_y, milestone="solution", hours=8, reason="等财务"
    )
    out = {"a": a, "b": b, "received": imp.new(category="invoicing", description="发票开错了。")}
    # Customer A's duplicate in department Y, merged into B's complaint about the same matter:
    # neither customer reads the other's number.
    merged = imp.in_department(Y, customer="customer_a")
    transitions.complaint_merge(complaint=merged, actor=users["agent"], into=fresh(b))
    out["merged"] = merged
    for state in (
        State.ASSIGNED,
        State.AWAITING_CUSTOMER,
        State.PENDING_APPROVAL,  # 5,000 CNY: within the manager's limit (b2b: 20,000)
        State.RESOLVING,
        State.PENDING_CALLBACK,
        State.CLOSED,
    ):
        out[state.value] = imp.build(state)
    out[State.PENDING_REVIEW.value] = imp.build(State.PENDING_REVIEW, review=True)
    over_limit = imp.build(State.INVESTIGATING)
    imp.propose(over_limit, Decimal("50000"))  # above the manager's limit: the executive's
    out["approval_executive"] = over_limit
    out["october"] = imp.closed(at("2026-10-05 12:00"))  # for the audit
    return {k: Complaint.objects.get(pk=c.pk) for k, c in out.items()}


def _improvement(imp: Improvement) -> dict[str, Any]:
    """An open and a done action of each department (done ones with an evidence file)."""
    out: dict[str, Any] = {}
    for dept, owner in ((X, "handler"), (Y, "other_handler")):
        fields = {"owner": owner, "title": ACTION_TITLE[dept]}
        fields["department"] = Department.objects.get(code=dept)
        out[f"action_open_{dept}"] = imp.action(**fields)
        done = imp.action(**fields)
        actor = imp.users[owner]
        improvement.action_start(action=imp.refresh(done), actor=actor)
        evidence = improvement.EvidenceFile(f"evidence-{dept}.png", png_bytes(), "image/png")
        improvement.action_complete(
            action=imp.refresh(done), actor=actor, evidence="已修订。", files=[evidence]
        )
        out[f"action_done_{dept}"] = done = imp.refresh(done)
        out[f"evidence_{dept}"] = done.attachments.get()
    return out


def _audits(users: dict[str, User]) -> dict[str, Any]:
    """A completed audit of department X (October's closed complaint) and an empty one of Y."""
    quality = users["quality"]
    audit = audit_services.audit_draw(
        actor=quality, department=Department.objects.get(code=X), month=OCTOBER, size=1
    )
    item = audit.items.get()
    points = dict.fromkeys(CHECKLIST_FIELDS, True)
    audit_services.audit_score_item(item=item, actor=quality, points=points, notes={})
    audit_services.audit_complete(audit=audit, actor=quality)
    audit_y = Audit.objects.create(
        department=Department.objects.get(code=Y),
        month=OCTOBER,
        sample_size=0,
        seed=1,
        created_by=quality,
        created_at=NOW,
    )
    return {f"audit_{X}": audit, "audit_item": item, f"audit_{Y}": audit_y}


def _alerts(users: dict[str, User], a: Complaint, b: Complaint) -> dict[str, Any]:
    """A closed alert on complaint "a" (its one measure done) and an open one on "b"."""
    alert_x = BatchAlert.objects.create(batch_no=BATCH[X], product="冷鲜猪肉", raised_at=NOW)
    alert_x.complaints.set([a])
    measure = batches.batch_alert_add_measure(
        alert=alert_x,
        actor=users["quality"],
        kind=EmergencyMeasure.Kind.INSPECT,
        owner=users["handler_x"],
        description="抽检同批次",
    )
    batches.batch_measure_complete(measure=measure, actor=users["handler_x"])
    batches.batch_alert_close(alert=alert_x, actor=users["quality"], conclusion="批次合格。")
    alert_y = BatchAlert.objects.create(batch_no=BATCH[Y], product="冷鲜牛肉", raised_at=NOW)
    alert_y.complaints.set([b])
    return {f"alert_{X}": alert_x, "measure": measure, f"alert_{Y}": alert_y}


def _report_runs(users: dict[str, User]) -> dict[str, Any]:
    """Kept October reports: department X's, Y's and the company's."""
    out = {}
    for code, who in ((X, "manager_x"), (Y, "manager_y"), (None, "quality")):
        out[f"run_{code}"] = report_generate(
            month=OCTOBER,
            fmt="html",
            source=ReportSource.DOWNLOAD,
            department=Department.objects.get(code=code) if code else None,
            user=users[who],
        )
    return out


def role_secrets(world: World, role: str) -> frozenset[str]:
    """What no answer to ``role`` may hold: the numbers of the complaints it may not see, and
    the names and phones of customers none of whose complaints it sees; for customers also
    what is internal to their own; other departments' improvement actions and batch alerts."""
    out: set[str] = set()
    seen_customers = set()
    for known in world.known.values():
        if sees(role, known):
            seen_customers.add(known.customer)
        else:
            out.add(known.number)
    for customer, contacts in CONTACTS.items():
        if customer not in seen_customers:
            out.update(contacts)
    if role in CUSTOMERS:
        out.update({NOTE_SECRET, INTERNAL_FILE})
    for dept in (X, Y):
        if not sees_action(role, dept):
            out.add(ACTION_TITLE[dept])
        if not sees_alert(role, dept):
            out.add(BATCH[dept])
    return frozenset(out)


# --- the checks -------------------------------------------------------------------------------

Payload = Callable[[World], Any] | None


@dataclass(frozen=True)
class Check:
    """One request, sent as every role (or ``roles``). ``body`` is the real request, sent to
    a role the rule refuses; ``probe`` (and ``probe_path``) the harmless one sent to a role
    it allows. ``secrets``: also keep out what this role may not see (a page reached by its
    private link); ``skip_allowed``: refused roles only (an allowed request would change the
    world for real); ``writes``: an allowed request changes the world on purpose; ``after``
    returns a problem found after the request, or None."""

    case: str
    method: str
    path: str
    rule: Rule
    body: Payload = None
    probe: Payload = None
    probe_path: str | None = None
    api: bool = False
    multipart: bool = False
    htmx: bool = False
    secrets: str | None = None
    skip_allowed: bool = False
    writes: bool = False
    after: Callable[[World, str, Any], str | None] | None = None
    roles: tuple[str, ...] | None = None


Cases = Callable[[World], list[Check]]
API = "/api/v1"
MISSING_NUMBER = "KS-20261116-9999"  # numbers are sequential: the next ones do not exist yet
BOGUS_TOKEN = "Zz" * 16  # a well-formed portal token that no complaint has
# Pages reached by a private link answer the same whoever is signed in: tried as anonymous,
# both customers and a member of staff.
LINK_ROLES = (ANON, "customer_a", "customer_b", "handler_y")
# The API refuses a method an operation does not take before it authenticates.
METHOD_ROLES = (ANON, "customer_a")


def const(data: dict[str, Any]) -> Callable[[World], dict[str, Any]]:
    return lambda world: dict(data)


def get(case: str, path: str, rule: Rule, **kw: Any) -> Check:
    return Check(case, "GET", path, rule, **kw)


def post(case: str, path: str, rule: Rule, body: Payload, probe: Payload = None, **kw) -> Check:
    return Check(case, "POST", path, rule, body=body, probe=probe, **kw)


def api_get(case: str, path: str, rule: Rule, **kw: Any) -> Check:
    return Check(case, "GET", f"{API}{path}", rule, api=True, **kw)


def api_post(case: str, path: str, rule: Rule, body: Payload, probe: Payload = None, **kw):
    return Check(case, "POST", f"{API}{path}", rule, body=body, probe=probe, api=True, **kw)


def post_only(case: str, path: str) -> Check:
    """GET on an operation that only takes POST."""
    return api_get(case, path, everyone(NOT_ALLOWED), roles=METHOD_ROLES)


def stale(world: World, key: str) -> int:
    return world.version(key) + 1000


def complaint_read(world: World, role: str, key: str | None) -> Expect:
    return OK if key is not None and sees(role, world.known[key]) else NOT_FOUND


def read_targets(world: World, *, merged: bool = True) -> list[tuple[str | None, str]]:
    """Two customers' complaints in two departments, one not dispatched yet, A's merged into
    B's (what customers read of it: not on the console), and a number that does not exist."""
    keys = ("a", "b", "received", "merged") if merged else ("a", "b", "received")
    return [(k, world.number(k)) for k in keys] + [(None, MISSING_NUMBER)]


# --- the complaint's actions (API operations and console forms) -------------------------------


@dataclass(frozen=True)
class ActionCase:
    on: tuple[str, ...]  # the complaints (world keys) it is tried on, in a state it starts from
    suffix: str  # the API path after /complaints/{number}/
    api: Callable[[World], dict[str, Any]]
    form: Callable[[World], dict[str, Any]]
    upload: bool = False


def _a(on, suffix, api_body, form_body=None, *, upload=False) -> ActionCase:
    def payload(body: Any) -> Callable[[World], dict[str, Any]]:
        return body if callable(body) else const(body)

    return ActionCase(on, suffix, payload(api_body), payload(form_body or api_body), upload)


A = ("a",)
APPROVALS = ("pending_approval", "approval_executive")
MEETING = {"participants": "物流、销售", "decision": "补发"}
ACTION_CASES: dict[str, ActionCase] = {
    "dispatch": _a(
        ("received",),
        "dispatch",
        {"department": X, "level": "C"},
        {"department": X, "level": "C", "category": "invoicing"},
    ),
    "accept": _a(("assigned",), "accept", {}),
    "request_info": _a(A, "request-info", {"message": "请提供签收单照片"}),
    "provide_info": _a(("awaiting_customer",), "provide-info", {"text": "已补充"}),
    "propose_solution": _a(
        A,
        "solution",
        {"summary": "致歉", "actions": [{"kind": "apology"}], "root_cause": "operation_error"},
        {"summary": "致歉", "root_cause": "operation_error", "kind_0": "apology"},
    ),
    "approve_solution": _a(APPROVALS, "solution/approve", {}),
    "refuse_solution": _a(APPROVALS, "solution/refuse", {"reason": "金额过高"}),
    "report_resolved": _a(("resolving",), "resolve", {"summary": "已补发"}),
    "pass_review": _a(("pending_review",), "review/pass", {}),
    "return_for_rework": _a(("pending_review",), "review/return", {"reason": "记录不全"}),
    "record_callback": _a(
        ("pending_callback",),
        "callbacks",
        {"reached": True, "outcome_rating": 5, "process_rating": 5, "accepted": True},
        {
            "reached": "yes",
            "method": "phone",
            "outcome_rating": "5",
            "process_rating": "5",
            "accepted": "yes",
        },
    ),
    "rate": _a(
        ("pending_callback",), "rate", {"outcome_rating": 4, "process_rating": 5, "accepted": True}
    ),
    "reopen": _a(("closed",), "reopen", {"reason": "问题再次出现"}),
    "reject": _a(("assigned",), "reject", {"reason": "非本公司业务"}),
    "merge": _a(A, "merge", lambda w: {"into": w.objects["merge_target"].number}),
    "acknowledge": _a(
        A, "acknowledge", {"summary": "已告知受理"}, {"channel": "phone", "summary": "已告知受理"}
    ),
    "reassign": _a(A, "reassign", lambda w: {"handler": w.imp.users["handler2"].pk}),
    "change_level": _a(A, "level", {"level": "A", "reason": "客户第二次来电"}),
    "add_note": _a(A, "notes", {"text": "内部跟进"}),
    "add_info": _a(A, "info", {"text": "补充说明"}),
    "log_communication": _a(
        A, "communications", {"channel": "phone", "direction": "out", "summary": "已致电"}
    ),
    "add_attachment": _a(A, "attachments", {}, upload=True),
    "set_root_cause": _a(A, "root-cause", {"root_cause": "process_defect"}),
    "add_task": _a(A, "tasks", {"department": TASK_DEPT, "title": "核对付款记录"}),
    "complete_task": _a(
        A,
        "tasks/{task}/complete",
        {"result": "已核对"},
        lambda w: {"task": w.pk("task"), "result": "已核对"},
    ),
    "complete_action": _a(
        ("resolving",),
        "actions/{solution_action}/complete",
        {},
        lambda w: {"action_id": w.pk("solution_action")},
    ),
    "record_meeting": _a(
        A,
        "meetings",
        {**MEETING, "held_at": (NOW - timedelta(hours=1)).isoformat()},
        {**MEETING, "held_at": "2026-11-16T09:00"},
    ),
    "request_extension": _a(
        A, "extensions", {"milestone": "solution", "hours": 8, "reason": "等物流回复"}
    ),
    "decide_extension": _a(
        A,
        "extensions/{extension}/decide",
        {"approve": True},
        lambda w: {"extension": w.pk("extension"), "approve": "yes"},
    ),
}
# Another complaint's task or extension request named through complaint "a": not found for
# everyone, whatever they may do to "a" (sent as the real request).
CROSS = {"complete_task": "b_task", "decide_extension": "b_extension"}


def action_rule(world: World, action: str, key: str, *, page: bool) -> Rule:
    known = world.known[key]

    def rule(role: str) -> Expect:
        if role == ANON:
            return LOGIN if page else UNAUTHORIZED
        if page and role in CUSTOMERS:
            return FORBIDDEN
        if not sees(role, known):
            return NOT_FOUND
        return STALE if may_act(role, action, known) else FORBIDDEN

    return rule


def _api_path(world: World, key: str, suffix: str, ids: dict[str, str] | None = None) -> str:
    names = {"task": "task", "extension": "extension", "solution_action": "solution_action"}
    names |= ids or {}
    return f"/complaints/{world.number(key)}/" + suffix.format(
        **{name: world.pk(obj) for name, obj in names.items()}
    )


def api_action_cases(action: str) -> Cases:
    ac = ACTION_CASES[action]
    case = f"complaint_{action}"

    def payload(key: str, version: Callable[[World, str], int] | None) -> Payload:
        def make(w: World) -> dict[str, Any]:
            data = {"file": png()} if ac.upload else ac.api(w)
            return data if version is None else {**data, "version": version(w, key)}

        return make

    def cases(world: World) -> list[Check]:
        out = []
        for key in ac.on:
            path = _api_path(world, key, ac.suffix)
            rule = action_rule(world, action, key, page=False)
            body, probe = payload(key, None), payload(key, stale)
            out.append(api_post(case, path, rule, body, probe, multipart=ac.upload))
        out.append(post_only(case, path))
        if action in CROSS:
            name = ac.suffix.split("{")[1].split("}")[0]
            path = _api_path(world, "a", ac.suffix, {name: CROSS[action]})
            rule = api(AUTHENTICATED, yes=NOT_FOUND)
            out.append(api_post(case, path, rule, payload("a", World.version)))
        return out

    return cases


def console_act(world: World) -> list[Check]:
    from kesu.console.forms import ACTION_FORMS

    def form(ac: ActionCase, key: str, version: Callable[[World, str], int]) -> Payload:
        def make(w: World) -> dict[str, Any]:
            data = {**ac.form(w), "version": version(w, key)}
            return {**data, "file": png()} if ac.upload else data

        return make

    out = []
    for action in ACTION_FORMS:
        ac = ACTION_CASES[action]
        for key in ac.on:
            path = f"/console/c/{world.number(key)}/act/{action}/"
            rule = action_rule(world, action, key, page=True)
            real, probe = form(ac, key, World.version), form(ac, key, stale)
            out.append(post("console:act", path, rule, real, probe, htmx=True, multipart=True))
    a = world.number("a")
    out.append(get("console:act", f"/console/c/{a}/act/add_note/", console(STAFF, NOT_ALLOWED)))
    # The customer's own actions have no console form, and nonsense is no action.
    for name in ("rate", "nonsense"):
        path = f"/console/c/{a}/act/{name}/"
        body = lambda w: {"version": w.version("a")}  # noqa: E731
        out.append(post("console:act", path, console(STAFF, NOT_FOUND), body, htmx=True))
    return out


# --- console pages ----------------------------------------------------------------------------


def dashboard(world: World) -> list[Check]:
    return [get("console:dashboard", "/console/", console(STAFF))]


def queue(world: World) -> list[Check]:
    out = [
        get("console:queue", f"/console/queue/{slug}/", console(roles, no=NOT_FOUND))
        for slug, roles in QUEUES_OF.items()
    ]
    return [*out, get("console:queue", "/console/queue/nonsense/", console(STAFF, NOT_FOUND))]


def export(world: World) -> list[Check]:
    out = [
        get("console:export", f"/console/queue/{slug}/export.csv", console(roles, no=NOT_FOUND))
        for slug, roles in QUEUES_OF.items()
    ]
    xlsx = get("console:export", "/console/queue/overdue/export.xlsx", console(STAFF))
    return [*out, xlsx]


def search(world: World) -> list[Check]:
    terms = (world.number("a"), "刘芳", "1381662")  # a number, a name, part of a phone
    return [get("console:search", f"/console/search/?q={t}", console(STAFF)) for t in terms]


def intake(world: World) -> list[Check]:
    form = {
        "idempotency_key": "authz-intake",
        "customer_name": "王小明",
        "customer_phone": "13900001111",
        "channel": "phone",
        "received_at": "2026-11-16T09:30",
        "description": "订单延迟交货。",
        "category": "late_delivery",
    }
    rule = console(CONSOLE_INTAKE)
    return [
        get("console:intake", "/console/new/", rule),
        post("console:intake", "/console/new/", rule, const(form), skip_allowed=True),
    ]


def customer_lookup(world: World) -> list[Check]:
    path = "/console/new/lookup/?customer_phone=13962110002&category=late_delivery"
    return [get("console:customer_lookup", path, console(CONSOLE_INTAKE))]


def suggest(world: World) -> list[Check]:
    path = "/console/new/suggest/?description=交货期延迟&customer_phone=13816620001"
    return [get("console:suggest", path, console(CONSOLE_INTAKE))]


IMPORT_CSV = "客户名称,联系电话,投诉渠道,投诉事由,问题描述\n王小明,13900001111,电话,交货延迟,延迟\n"


def csv_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("import.csv", IMPORT_CSV.encode(), content_type="text/csv")


def import_page(world: World) -> list[Check]:
    rule = console(IMPORTERS)
    upload = lambda w: {"file": csv_file(), "mode": "all_or_nothing"}  # noqa: E731
    return [
        get("console:import", "/console/import/", rule),
        post("console:import", "/console/import/", rule, upload, skip_allowed=True),
    ]


def import_template(world: World) -> list[Check]:
    path = "/console/import/template"
    return [
        get("console:import_template", f"{path}.xlsx", console(IMPORTERS)),
        get("console:import_template", f"{path}.csv", console(IMPORTERS)),
        get("console:import_template", f"{path}.pdf", console(IMPORTERS, NOT_FOUND)),
    ]


def unread(world: World) -> str | None:
    n = Notification.objects.get(pk=world.pk("notification"))
    return None if n.read_at is None else "marked another user's notification read"


def notifications(world: World) -> list[Check]:
    return [get("console:notifications", "/console/notifications/", console(STAFF))]


def notifications_read_all(world: World) -> list[Check]:
    path = "/console/notifications/read/"
    rule = console(STAFF, redirect("/console/notifications/"))
    return [
        get("console:notifications_read_all", path, console(STAFF, NOT_ALLOWED)),
        post("console:notifications_read_all", path, rule, None, after=lambda w, r, _: unread(w)),
    ]


def analysis(world: World) -> list[Check]:
    return [get("console:analysis", "/console/analysis/?month=2026-10", console(ANALYSIS))]


def analysis_volume(world: World) -> list[Check]:
    path, rule = "/console/analysis/volume/", console(VOLUME)
    entry = const({"month": "2026-10", "volume": "12345", "kind": "orders"})
    return [
        get("console:analysis_volume", path, rule),
        post("console:analysis_volume", path, rule, entry, skip_allowed=True),
    ]


def analysis_complaints(world: World) -> list[Check]:
    path = "/console/analysis/complaints/"
    return [
        get("console:analysis_complaints", path, console(ANALYSIS)),
        get("console:analysis_complaints", f"{path}?department={X}", console(ANALYSIS)),
    ]


def reports(world: World) -> list[Check]:
    return [get("console:reports", "/console/reports/", console(ANALYSIS))]


def report_monthly(world: World) -> list[Check]:
    """Department X's report: a department manager gets their own whatever they ask."""
    path = f"/console/reports/monthly/2026-10/?department={X}"
    return [get("console:report_monthly", path, console(ANALYSIS))]


def report_file(world: World) -> list[Check]:
    out = [
        get(
            "console:report_file",
            f"/console/reports/files/{world.pk(f'run_{code}')}/",
            hidden(console(ANALYSIS), lambda r, c=code: sees_run(r, c), ANALYSIS),
        )
        for code in (X, Y, None)
    ]
    missing = get("console:report_file", "/console/reports/files/999999/", console(ANALYSIS))
    return [*out, Check(**{**missing.__dict__, "rule": console(ANALYSIS, NOT_FOUND)})]


def improvement_actions(world: World) -> list[Check]:
    path = "/console/improvement/"
    return [
        get("console:improvement_actions", path, console(STAFF)),
        get("console:improvement_actions", f"{path}?department={X}", console(STAFF)),
    ]


def improvement_action_new(world: World) -> list[Check]:
    """The form, prefilled from a complaint or an audit finding the creator may not see."""
    path, rule = "/console/improvement/new/", console(ACTION_CREATORS)
    b, item = world.number("b"), world.pk("audit_item")
    form = {
        "title": "AUTHZ新措施",
        "kind": "corrective",
        "source": "root_cause",
        "root_cause": "order_info_flow",
        "description": "修订评审表。",
        "due": "2026-12-01",
    }
    body = lambda w: {**form, "owner": w.users["handler_x"].pk}  # noqa: E731
    from_b = hidden(rule, lambda r: sees(r, world.known["b"]), ACTION_CREATORS)
    from_item = hidden(rule, lambda r: sees_audit(r, X), ACTION_CREATORS)
    return [
        get("console:improvement_action_new", path, rule),
        get("console:improvement_action_new", f"{path}?complaint={b}", from_b),
        get("console:improvement_action_new", f"{path}?audit_item={item}", from_item),
        post("console:improvement_action_new", path, rule, body, skip_allowed=True),
    ]


def improvement_action(world: World) -> list[Check]:
    out = [
        get(
            "console:improvement_action",
            f"/console/improvement/{world.pk(f'action_open_{dept}')}/",
            hidden(console(STAFF), lambda r, d=dept: sees_action(r, d)),
        )
        for dept in (X, Y)
    ]
    missing = "/console/improvement/999999/"
    return [*out, get("console:improvement_action", missing, console(STAFF, NOT_FOUND))]


def improvement_file(world: World) -> list[Check]:
    def path(action_dept: str, file_dept: str) -> str:
        action, evidence = world.pk(f"action_done_{action_dept}"), world.pk(f"evidence_{file_dept}")
        return f"/console/improvement/{action}/files/{evidence}/"

    out = [
        get(
            "console:improvement_file",
            path(dept, dept),
            hidden(console(STAFF), lambda r, d=dept: sees_action(r, d)),
        )
        for dept in (X, Y)
    ]
    # Y's evidence through X's action: never.
    return [*out, get("console:improvement_file", path(X, Y), console(STAFF, NOT_FOUND))]


# Each step is tried on department X's action in a status it does not start from: start,
# complete and cancel on a done action, measure and confirm on an open one.
STEPS: dict[str, tuple[str, str, dict[str, Any], dict[str, Any]]] = {
    # step: (action, API path, form, API body)
    "start": ("action_done", "start", {"note": "开始"}, {"note": "开始"}),
    "complete": ("action_done", "complete", {"evidence": "已完成"}, {"evidence": "已完成"}),
    "measure": ("action_open", "effect", {}, {}),
    "confirm": (
        "action_open",
        "verdict",
        {"effective": "1", "note": "有效"},
        {"effective": True, "note": "有效"},
    ),
    "cancel": ("action_done", "cancel", {"reason": "不再需要"}, {"reason": "不再需要"}),
}


def step_rule(step: str, dept: str, *, page: bool) -> Rule:
    def rule(role: str) -> Expect:
        if role == ANON:
            return LOGIN if page else UNAUTHORIZED
        if role in CUSTOMERS:
            return FORBIDDEN if page else NOT_FOUND
        if not sees_action(role, dept):
            return NOT_FOUND
        return WRONG_STATUS if may_step(role, step, dept) else FORBIDDEN

    return rule


def improvement_step(world: World) -> list[Check]:
    out = []
    for step, (key, _api, form, _body) in STEPS.items():
        path = f"/console/improvement/{world.pk(f'{key}_{X}')}/{step}/"
        rule = step_rule(step, X, page=True)
        out.append(
            post("console:improvement_step", path, rule, const(form), const(form), htmx=True)
        )
    pk = world.pk(f"action_open_{X}")
    return [
        *out,
        get(
            "console:improvement_step",
            f"/console/improvement/{pk}/start/",
            console(STAFF, NOT_ALLOWED),
        ),
        post(
            "console:improvement_step",
            f"/console/improvement/{pk}/nonsense/",
            console(STAFF, NOT_FOUND),
            const({}),
        ),
    ]


def audits_page(world: World) -> list[Check]:
    return [get("console:audits", "/console/audits/", console(AUDIT_READERS))]


def audit_new(world: World) -> list[Check]:
    path, rule = "/console/audits/new/", console(CHECKERS)

    def form(w: World) -> dict[str, Any]:
        return {"department": Department.objects.get(code=X).pk, "month": "2026-10", "size": "1"}

    return [
        get("console:audit_new", path, rule),
        post("console:audit_new", path, rule, form, skip_allowed=True),
    ]


def audit_rule(dept: str, yes: Expect = OK, *, page: bool, may: frozenset[str] = STAFF) -> Rule:
    """An audit of ``dept``: those who may not read it may not know it exists (a role that
    reads no audit at all may be told 403); readers get ``yes``, or 403 if not in ``may``."""

    def rule(role: str) -> Expect:
        if role == ANON:
            return LOGIN if page else UNAUTHORIZED
        if page and role in CUSTOMERS:
            return FORBIDDEN
        if not sees_audit(role, dept):
            return NOT_FOUND if role in AUDIT_READERS or not page else DENIED
        return yes if role in may else FORBIDDEN

    return rule


def audit_page(world: World) -> list[Check]:
    out = [
        get("console:audit", f"/console/audits/{world.pk(f'audit_{d}')}/", audit_rule(d, page=True))
        for d in (X, Y)
    ]
    return [
        *out,
        get("console:audit", "/console/audits/999999/", console(STAFF, NOT_FOUND, NOT_FOUND)),
    ]


def score_form(world: World) -> dict[str, str]:
    return {f"i{world.pk('audit_item')}-{p}": "1" for p in CHECKLIST_FIELDS}


def audit_score(world: World) -> list[Check]:
    """Scoring the completed audit of X: checkers get 409 (completed)."""
    path = f"/console/audits/{world.pk(f'audit_{X}')}/items/{world.pk('audit_item')}/"
    rule = audit_rule(X, WRONG_STATUS, page=True, may=CHECKERS)
    return [
        post("console:audit_score", path, rule, score_form, score_form, htmx=True),
        get("console:audit_score", path, console(STAFF, NOT_ALLOWED)),
    ]


def audit_complete(world: World) -> list[Check]:
    path = f"/console/audits/{world.pk(f'audit_{X}')}/complete/"
    rule = audit_rule(X, WRONG_STATUS, page=True, may=CHECKERS)
    note = const({"note": "完成"})
    return [
        post("console:audit_complete", path, rule, note, note, htmx=True),
        get("console:audit_complete", path, console(STAFF, NOT_ALLOWED)),
    ]


def customer_b(world: World) -> int:
    return Customer.objects.get(user=world.users["customer_b"]).pk


def customers(world: World) -> list[Check]:
    path = "/console/customers/?ref=13962110002"
    return [get("console:customers", path, console(DATA_REQUESTS))]


def customer_page(world: World) -> list[Check]:
    path = "/console/customers/"
    return [
        get("console:customer", f"{path}{customer_b(world)}/", console(DATA_REQUESTS)),
        get("console:customer", f"{path}999999/", console(DATA_REQUESTS, NOT_FOUND)),
    ]


def customer_export(world: World) -> list[Check]:
    path = f"/console/customers/{customer_b(world)}/export/"
    return [
        post("console:customer_export", path, console(DATA_REQUESTS), const({})),
        get("console:customer_export", path, everyone(NOT_ALLOWED), roles=METHOD_ROLES),
    ]


def customer_erase(world: World) -> list[Check]:
    """Refused roles send the confirmed erasure; allowed ones the form without the
    confirmation (422: nothing erased)."""
    path = f"/console/customers/{customer_b(world)}/erase/"
    confirmed = const({"reason": "客户要求删除。", "confirm": "yes"})
    unconfirmed = const({"reason": "客户要求删除。"})
    rule = console(DATA_REQUESTS, BAD_INPUT)
    return [
        get("console:customer_erase", path, console(DATA_REQUESTS)),
        post("console:customer_erase", path, rule, confirmed, unconfirmed),
    ]


def renew_portal_link(world: World) -> list[Check]:
    """Refusals only: an allowed renewal would replace the customer's link for real."""
    path = f"/console/c/{world.number('a')}/portal-link/"
    rule = hidden(console(LINK_RENEWERS), lambda r: sees(r, world.known["a"]))
    reason = const({"reason": "链接转发错了人"})
    return [
        post("console:renew_portal_link", path, rule, reason, htmx=True, skip_allowed=True),
        get("console:renew_portal_link", path, console(STAFF, NOT_ALLOWED)),
    ]


def complaint_page(world: World) -> list[Check]:
    return [
        get(
            "console:complaint",
            f"/console/c/{number}/",
            lambda role, key=key: console(STAFF, complaint_read(world, role, key))(role),
        )
        for key, number in read_targets(world, merged=False)
    ]


def complaint_attachment(world: World) -> list[Check]:
    """Files through their complaint, and "b"'s file through "a": never."""
    out = []
    for key, file in (
        ("a", "shared_file"),
        ("a", "internal_file"),
        ("b", "b_file"),
        ("a", "b_file"),
    ):
        own = (key == "b") == (file == "b_file")
        out.append(
            get(
                "console:attachment",
                f"/console/c/{world.number(key)}/attachments/{world.pk(file)}/",
                lambda role, key=key, own=own: console(
                    STAFF, complaint_read(world, role, key) if own else NOT_FOUND
                )(role),
            )
        )
    return out


# --- the portal (the private link is the key: who is signed in does not matter) ------------


def token(world: World, key: str) -> str:
    return world.complaints[key].portal_token


# An anonymous submission giving customer B's name and phone with another address: recorded
# for B, but B's contacts (where B's messages and private links go) stay B's.
IMPOSTOR = {
    "customer_name": "刘芳",
    "customer_company": "冒名公司",
    "customer_phone": "13962110002",
    "customer_email": "impostor@example.net",
    "category": "late_delivery",
    "description": "冒名提交的投诉内容。",
    "website": "",
}


def contacts_kept(world: World, role: str, response: Any) -> str | None:
    b = Customer.objects.get(user=world.users["customer_b"])
    if (b.email, b.company) != ("liufang@example.cn", ""):
        return f"customer B's contacts were changed to {b.email!r}, {b.company!r}"
    return None


def portal_submit(world: World) -> list[Check]:
    ok = everyone(OK)
    return [
        get("portal:submit", "/portal/", ok, roles=LINK_ROLES),
        # A follow-up opened from complaint "a"'s page: "a"'s details, nobody else's.
        get(
            "portal:submit",
            f"/portal/?after={token(world, 'a')}",
            ok,
            roles=LINK_ROLES,
            secrets="customer_a",
        ),
        get("portal:submit", f"/portal/?after={BOGUS_TOKEN}", ok, roles=LINK_ROLES),
        post(
            "portal:submit",
            "/portal/",
            everyone(redirect("/portal/c/")),
            const(IMPOSTOR),
            roles=(ANON,),
            writes=True,
            after=contacts_kept,
        ),
    ]


def portal_mine(world: World) -> list[Check]:
    def rule(role: str) -> Expect:
        if role == ANON:
            return LOGIN
        return OK if role in CUSTOMERS else redirect("/")  # staff have the console

    return [get("portal:mine", "/portal/mine/", rule)]


def _by_token(name: str, suffix: str) -> Cases:
    def cases(world: World) -> list[Check]:
        out = [
            get(
                name,
                f"/portal/c/{token(world, k)}/{suffix}",
                everyone(OK),
                roles=LINK_ROLES,
                secrets=owner,
            )
            for k, owner in (("a", "customer_a"), ("b", "customer_b"), ("merged", "customer_a"))
        ]
        for bad in (BOGUS_TOKEN, "short", world.number("a")):
            out.append(
                get(name, f"/portal/c/{bad}/{suffix}", everyone(NOT_FOUND), roles=LINK_ROLES)
            )
        return out

    return cases


# The customer's actions by link: (path, complaint, form). The link's holder is allowed (409
# on a stale version); a token that opens nothing is not found.
PORTAL_ACTIONS = {
    "portal:add_info": ("info", "a", {"text": "补充:收货时外箱破损。"}),
    "portal:provide_info": ("answer", "awaiting_customer", {"text": "已上传签收单。"}),
    "portal:rate": (
        "rate",
        "pending_callback",
        {"outcome_rating": "4", "process_rating": "5", "accepted": "yes", "comment": ""},
    ),
    "portal:reopen": ("reopen", "closed", {"reason": "问题再次出现。"}),
}


def _portal_action(name: str) -> Cases:
    suffix, key, data = PORTAL_ACTIONS[name]

    def cases(world: World) -> list[Check]:
        path = f"/portal/c/{token(world, key)}/{suffix}/"
        probe = lambda w: {**data, "version": stale(w, key)}  # noqa: E731
        real = lambda w: {**data, "version": w.version(key)}  # noqa: E731
        bogus = f"/portal/c/{BOGUS_TOKEN}/{suffix}/"
        return [
            post(name, path, everyone(STALE), None, probe, roles=LINK_ROLES, secrets="customer_a"),
            post(name, bogus, everyone(NOT_FOUND), real, roles=LINK_ROLES),
            get(name, path, everyone(NOT_ALLOWED), roles=LINK_ROLES),
        ]

    return cases


def portal_attachment(world: World) -> list[Check]:
    """A's link opens A's shared files only: not A's internal file, not B's (and B's link
    not A's)."""
    tried = (
        ("a", "shared_file", OK),
        ("a", "internal_file", NOT_FOUND),
        ("a", "b_file", NOT_FOUND),
        ("b", "shared_file", NOT_FOUND),
    )
    return [
        get(
            "portal:attachment",
            f"/portal/c/{token(world, k)}/attachments/{world.pk(f)}/",
            everyone(e),
            roles=LINK_ROLES,
        )
        for k, f, e in tried
    ]


# --- the front door, the Django admin, the API's own pages -----------------------------------


def home(world: World) -> list[Check]:
    return [get("home", "/", lambda role: redirect(LANDING[role]))]


def login(world: World) -> list[Check]:
    rule = lambda role: OK if role == ANON else redirect(LANDING[role])  # noqa: E731
    return [get("login", "/accounts/login/", rule)]


def logout(world: World) -> list[Check]:
    return [get("logout", "/accounts/logout/", everyone(NOT_ALLOWED))]


def set_language(world: World) -> list[Check]:
    return [get("set_language", "/i18n/setlang/", everyone(NOT_ALLOWED))]


def admin_site(world: World) -> list[Check]:
    """SPEC §1: admins manage users, departments, categories, policy and templates; nobody
    else enters the Django admin."""
    rule = lambda role: OK if role == "admin" else ADMIN_LOGIN  # noqa: E731
    paths = ("/admin/", "/admin/accounts/user/", "/admin/policy/policy/")
    return [get("admin", p, rule) for p in paths]


def api_page(name: str, path: str, e: Expect) -> Cases:
    """The API's own pages are public: they hold no data."""
    return lambda world: [get(name, f"{API}/{path}", everyone(e), roles=(ANON,))]


# URLs checked elsewhere, with the reason.
EXEMPT = {
    "api:openapi-json": "the public API description (no data): tests/api/test_openapi.py "
    "fetches it anonymously; building it takes seconds",
}


PAGES: dict[str, Cases] = {
    "console:dashboard": dashboard,
    "console:queue": queue,
    "console:export": export,
    "console:search": search,
    "console:intake": intake,
    "console:customer_lookup": customer_lookup,
    "console:suggest": suggest,
    "console:import": import_page,
    "console:import_template": import_template,
    "console:notifications": notifications,
    "console:notifications_read_all": notifications_read_all,
    "console:analysis": analysis,
    "console:analysis_volume": analysis_volume,
    "console:analysis_complaints": analysis_complaints,
    "console:reports": reports,
    "console:report_monthly": report_monthly,
    "console:report_file": report_file,
    "console:improvement_actions": improvement_actions,
    "console:improvement_action_new": improvement_action_new,
    "console:improvement_action": improvement_action,
    "console:improvement_file": improvement_file,
    "console:improvement_step": improvement_step,
    "console:audits": audits_page,
    "console:audit_new": audit_new,
    "console:audit": audit_page,
    "console:audit_score": audit_score,
    "console:audit_complete": audit_complete,
    "console:customers": customers,
    "console:customer": customer_page,
    "console:customer_export": customer_export,
    "console:customer_erase": customer_erase,
    "console:renew_portal_link": renew_portal_link,
    "console:complaint": complaint_page,
    "console:act": console_act,
    "console:attachment": complaint_attachment,
    "portal:submit": portal_submit,
    "portal:mine": portal_mine,
    "portal:case": _by_token("portal:case", ""),
    "portal:sent": _by_token("portal:sent", "sent/"),
    **{name: _portal_action(name) for name in PORTAL_ACTIONS},
    "portal:attachment": portal_attachment,
    "home": home,
    "login": login,
    "logout": logout,
    "set_language": set_language,
    "admin": admin_site,
    "api:openapi-view": api_page("api:openapi-view", "docs", OK),
    "api:api-root": api_page("api:api-root", "", NOT_FOUND),
    "api:unknown_path": api_page("api:unknown_path", "no/such/thing", NOT_FOUND),
}


# --- API operations ---------------------------------------------------------------------------


def complaint_create(world: World) -> list[Check]:
    """Refused roles send a good complaint; allowed ones one with an unknown category (422)."""
    good = {
        "customer_name": "陈建国",
        "customer_phone": "13816620001",
        "channel": "email",
        "category": "late_delivery",
        "description": "交货期延迟。",
    }
    bad = {**good, "category": "no_such_category"}
    rule = api(API_INTAKE, BAD_INPUT)
    return [api_post("complaint_create", "/complaints", rule, const(good), const(bad))]


def complaint_list(world: World) -> list[Check]:
    queries = ("", "?q=刘芳", f"?q={world.number('a')}")
    return [api_get("complaint_list", f"/complaints{q}", api(AUTHENTICATED)) for q in queries]


def complaint_detail(suffix: str) -> Cases:
    name = "complaint_timeline" if suffix else "complaint_detail"

    def cases(world: World) -> list[Check]:
        return [
            api_get(
                name,
                f"/complaints/{number}{suffix}",
                lambda role, key=key: api(AUTHENTICATED, complaint_read(world, role, key))(role),
            )
            for key, number in read_targets(world)
        ]

    return cases


def report_file_op(fmt: str) -> Cases:
    """A bad month is refused after the right to read reports: readers get 422, everyone else
    403, and no report is rendered."""
    name = f"report_monthly_{fmt}"
    path = f"/reports/monthly/2026-13.{fmt}"
    return lambda world: [
        api_get(name, path, api(ANALYSIS, BAD_INPUT)),
        api_get(name, f"{path}?department={Y}", api(ANALYSIS, BAD_INPUT)),
    ]


def own_department(world: World, role: str, response: Any) -> str | None:
    """A department manager asking for department X reads their own department's figures."""
    if response.status_code != 200 or role not in DEPT_MANAGERS:
        return None
    shown = response.json().get("filters", {}).get("department")
    return None if shown == DEPARTMENT_OF[role] else f"figures of department {shown!r}"


def kpi_summary(world: World) -> list[Check]:
    path = f"/kpis?month=2026-10&department={X}"
    return [api_get("kpi_summary", path, api(ANALYSIS), after=own_department)]


def report_monthly_data(world: World) -> list[Check]:
    path = f"/reports/monthly/2026-10?department={X}"
    return [api_get("report_monthly_data", path, api(ANALYSIS), after=own_department)]


def business_volume_get(world: World) -> list[Check]:
    return [api_get("business_volume_get", "/business-volume/2026-10", api(ANALYSIS))]


def business_volume_set(world: World) -> list[Check]:
    """Allowed roles enter a month out of range (422)."""
    volume = const({"volume": 12345})
    return [
        Check(
            "business_volume_set",
            "PUT",
            f"{API}/business-volume/2026-10",
            api(VOLUME, BAD_INPUT),
            body=volume,
            probe=volume,
            probe_path=f"{API}/business-volume/1800-01",
            api=True,
        )
    ]


def alert_rule(dept: str, may: Callable[[str], bool] | None = None, yes: Expect = OK) -> Rule:
    def rule(role: str) -> Expect:
        if role == ANON:
            return UNAUTHORIZED
        if not sees_alert(role, dept):
            return NOT_FOUND
        return yes if may is None or may(role) else FORBIDDEN

    return rule


def batch_alert_list(world: World) -> list[Check]:
    return [api_get("batch_alert_list", "/batch-alerts", api(AUTHENTICATED))]


def batch_alert_detail(world: World) -> list[Check]:
    return [
        api_get("batch_alert_detail", f"/batch-alerts/{world.pk(f'alert_{d}')}", alert_rule(d))
        for d in (X, Y)
    ]


def _alert_step(name: str, suffix: str, body: dict, may: Callable[[str], bool]) -> Cases:
    """On X's closed alert allowed roles get 409; on Y's open one only refusals are sent."""

    def cases(world: World) -> list[Check]:
        out = []
        for dept in (X, Y):
            path = f"/batch-alerts/{world.pk(f'alert_{dept}')}/{suffix}"
            rule = alert_rule(dept, may, WRONG_STATUS)
            out.append(api_post(name, path, rule, const(body), const(body), skip_allowed=dept == Y))
        return [*out, post_only(name, path)]

    return cases


def batch_alert_add_measure(world: World) -> list[Check]:
    body = {"kind": "recall", "owner": world.users["handler_x"].pk}
    return _alert_step("batch_alert_add_measure", "measures", body, MEASURE_ROLES.__contains__)(
        world
    )


def batch_alert_measure_done(world: World) -> list[Check]:
    """X's measure is done (409 for its owner and the closers); through Y's alert, not found."""
    measure = world.pk("measure")
    path = f"/batch-alerts/{world.pk(f'alert_{X}')}/measures/{measure}/done"
    cross = f"/batch-alerts/{world.pk(f'alert_{Y}')}/measures/{measure}/done"
    may = lambda role: role == "handler_x" or role in ALERT_CLOSERS  # noqa: E731
    empty = const({})
    return [
        api_post("batch_alert_measure_done", path, alert_rule(X, may, WRONG_STATUS), empty, empty),
        api_post("batch_alert_measure_done", cross, alert_rule(Y, yes=NOT_FOUND), empty),
        post_only("batch_alert_measure_done", path),
    ]


def improvement_action_list(world: World) -> list[Check]:
    path = "/improvement/actions"
    rule = api(AUTHENTICATED)
    return [
        api_get("improvement_action_list", f"{path}{q}", rule) for q in ("", f"?department={Y}")
    ]


def improvement_action_create(world: World) -> list[Check]:
    """Allowed roles send a blank title (422); from complaint "b", those who may not see it
    get 404 (it is never linked)."""

    def body(w: World, title: str = "AUTHZ新措施", **more: Any) -> dict[str, Any]:
        return {
            "title": title,
            "description": "修订评审表。",
            "kind": "corrective",
            "source": "root_cause",
            "root_cause": "order_info_flow",
            "owner": w.users["handler_x"].pk,
            "due_at": NEXT_WEEK.isoformat(),
            **more,
        }

    from_b = {"source": "complaint", "complaints": [world.number("b")]}
    seen = lambda role: sees(role, world.known["b"])  # noqa: E731
    creators = api(ACTION_CREATORS, BAD_INPUT)
    b_rule = lambda role: (  # noqa: E731
        creators(role)
        if role == ANON or (role in ACTION_CREATORS and seen(role))
        else NOT_FOUND
        if role in ACTION_CREATORS
        else FORBIDDEN
        if seen(role)
        else DENIED
    )
    path = "/improvement/actions"
    return [
        api_post("improvement_action_create", path, creators, body, lambda w: body(w, "   ")),
        api_post(
            "improvement_action_create",
            path,
            b_rule,
            lambda w: body(w, **from_b),
            lambda w: body(w, "   ", **from_b),
        ),
    ]


def improvement_action_detail(world: World) -> list[Check]:
    out = [
        api_get(
            "improvement_action_detail",
            f"/improvement/actions/{world.pk(f'action_open_{d}')}",
            hidden(api(AUTHENTICATED), lambda r, d=d: sees_action(r, d), AUTHENTICATED),
        )
        for d in (X, Y)
    ]
    missing = api(AUTHENTICATED, NOT_FOUND, NOT_FOUND)
    return [*out, api_get("improvement_action_detail", "/improvement/actions/999999", missing)]


def improvement_step_op(step: str) -> Cases:
    key, suffix, _form, data = STEPS[step]
    name = f"improvement_action_{step}"

    def cases(world: World) -> list[Check]:
        out = []
        for dept in (X, Y):
            path = f"/improvement/actions/{world.pk(f'{key}_{dept}')}/{suffix}"
            rule = step_rule(step, dept, page=False)
            out.append(api_post(name, path, rule, const(data), const(data)))
        return [*out, post_only(name, path)]

    return cases


def audit_list(world: World) -> list[Check]:
    path = "/improvement/audits"
    return [
        api_get("audit_list", f"{path}{q}", api(AUTHENTICATED)) for q in ("", f"?department={Y}")
    ]


def audit_draw(world: World) -> list[Check]:
    """Allowed roles give neither a size nor a percentage (422)."""
    real = {"department": X, "month": "2026-10-01", "size": 1}
    probe = {"department": X, "month": "2026-10-01"}
    rule = api(CHECKERS, BAD_INPUT)
    return [api_post("audit_draw", "/improvement/audits", rule, const(real), const(probe))]


def audit_detail(world: World) -> list[Check]:
    return [
        api_get(
            "audit_detail",
            f"/improvement/audits/{world.pk(f'audit_{d}')}",
            audit_rule(d, page=False),
        )
        for d in (X, Y)
    ]


def audit_score_item(world: World) -> list[Check]:
    """X's completed audit: checkers get 409; X's item through Y's audit: not found."""
    item = world.pk("audit_item")
    path = f"/improvement/audits/{world.pk(f'audit_{X}')}/items/{item}/score"
    cross = f"/improvement/audits/{world.pk(f'audit_{Y}')}/items/{item}/score"
    points = const(dict.fromkeys(CHECKLIST_FIELDS, True))
    rule = audit_rule(X, WRONG_STATUS, page=False, may=CHECKERS)
    return [
        api_post("audit_score_item", path, rule, points, points),
        api_post("audit_score_item", cross, audit_rule(Y, NOT_FOUND, page=False), points),
        post_only("audit_score_item", path),
    ]


def audit_complete_op(world: World) -> list[Check]:
    path = f"/improvement/audits/{world.pk(f'audit_{X}')}/complete"
    rule = audit_rule(X, WRONG_STATUS, page=False, may=CHECKERS)
    note = const({"note": "完成"})
    return [api_post("audit_complete", path, rule, note, note), post_only("audit_complete", path)]


def notification_list(world: World) -> list[Check]:
    return [api_get("notification_list", "/notifications", api(AUTHENTICATED))]


def notification_mark_read(world: World) -> list[Check]:
    """Marking someone else's notification read marks nothing."""

    def nothing_marked(w: World, role: str, response: Any) -> str | None:
        if response.status_code == 200 and response.json().get("marked") != 0:
            return f"marked {response.json().get('marked')} of another user's notifications"
        return unread(w)

    ids = lambda w: {"ids": [w.pk("notification")]}  # noqa: E731
    path = "/notifications/read"
    return [
        api_post(
            "notification_mark_read", path, api(AUTHENTICATED), ids, ids, after=nothing_marked
        ),
        post_only("notification_mark_read", path),
    ]


def complaints_import(world: World) -> list[Check]:
    """Allowed roles send a file that is no table (422)."""
    garbage = lambda w: {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00", "text/csv")}  # noqa: E731
    upload = lambda w: {"file": csv_file()}  # noqa: E731
    rule = api(IMPORTERS, BAD_INPUT)
    return [
        api_post("complaints_import", "/imports", rule, upload, garbage, multipart=True),
        post_only("complaints_import", "/imports"),
    ]


def import_template_op(fmt: str) -> Cases:
    name = f"import_template_{fmt}"
    return lambda world: [api_get(name, f"/imports/template.{fmt}", api(IMPORTERS))]


def customer_lookup_op(world: World) -> list[Check]:
    ref = const({"ref": "13962110002"})
    return [
        api_post("customer_lookup", "/customers/lookup", api(DATA_REQUESTS), ref, ref),
        post_only("customer_lookup", "/customers/lookup"),
    ]


def customer_export_op(world: World) -> list[Check]:
    path = "/customers/{}/export"
    return [
        api_get("customer_export", path.format(customer_b(world)), api(DATA_REQUESTS)),
        api_get("customer_export", path.format(999999), api(DATA_REQUESTS, NOT_FOUND)),
    ]


def customer_erase_op(world: World) -> list[Check]:
    """Customer B has an open complaint: an allowed erasure is refused (409), nothing erased."""
    reason = const({"reason": "客户要求删除。"})
    path = f"/customers/{customer_b(world)}/erase"
    rule = api(DATA_REQUESTS, expect(409, label="allowed (409 open complaint)", allowed=True))
    return [
        api_post("customer_erase", path, rule, reason, reason),
        post_only("customer_erase", path),
    ]


def renew_portal_link_op(world: World) -> list[Check]:
    """Refusals only: an allowed renewal would replace the customer's link for real."""
    path = f"/complaints/{world.number('a')}/portal-link"
    rule = hidden(api(LINK_RENEWERS), lambda r: sees(r, world.known["a"]), AUTHENTICATED)
    reason = const({"reason": "链接转发错了人"})
    return [
        api_post("complaint_renew_portal_link", path, rule, reason, skip_allowed=True),
        post_only("complaint_renew_portal_link", path),
    ]


def reference(name: str, path: str) -> Cases:
    return lambda world: [api_get(name, path, api(AUTHENTICATED))]


OPERATIONS: dict[str, Cases] = {
    "complaint_create": complaint_create,
    "complaint_list": complaint_list,
    "complaint_detail": complaint_detail(""),
    "complaint_timeline": complaint_detail("/timeline"),
    **{f"report_monthly_{fmt}": report_file_op(fmt) for fmt in ("pdf", "xlsx", "html")},
    "kpi_summary": kpi_summary,
    "report_monthly_data": report_monthly_data,
    "business_volume_get": business_volume_get,
    "business_volume_set": business_volume_set,
    **{f"complaint_{name}": api_action_cases(name) for name in ACTION_CASES},
    "complaint_renew_portal_link": renew_portal_link_op,
    "batch_alert_list": batch_alert_list,
    "batch_alert_detail": batch_alert_detail,
    "batch_alert_add_measure": batch_alert_add_measure,
    "batch_alert_measure_done": batch_alert_measure_done,
    "batch_alert_close": _alert_step(
        "batch_alert_close", "close", {"conclusion": "批次合格。"}, ALERT_CLOSERS.__contains__
    ),
    "improvement_action_list": improvement_action_list,
    "improvement_action_create": improvement_action_create,
    "improvement_action_detail": improvement_action_detail,
    **{f"improvement_action_{step}": improvement_step_op(step) for step in STEPS},
    "audit_list": audit_list,
    "audit_draw": audit_draw,
    "audit_detail": audit_detail,
    "audit_score_item": audit_score_item,
    "audit_complete": audit_complete_op,
    "notification_list": notification_list,
    "notification_mark_read": notification_mark_read,
    "complaints_import": complaints_import,
    **{f"import_template_{fmt}": import_template_op(fmt) for fmt in ("xlsx", "csv")},
    "customer_lookup": customer_lookup_op,
    "customer_export": customer_export_op,
    "customer_erase": customer_erase_op,
    "policy_active": reference("policy_active", "/policy"),
    "me": reference("me", "/me"),
}
