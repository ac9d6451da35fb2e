"""Staff queues, list filters, search and keyset pages (SPEC §8): the reads behind the console's
lists and the API's complaint list.

Every queue is a condition over :func:`kesu.complaints.access.visible_complaints`, so no queue,
filter or search can show a complaint its reader may not open. Lists are sorted by the nearest
deadline and paged by keyset (the cursor is the last row's sort key), never by OFFSET: page 500
costs what page 1 costs.

The queues (which role sees which is :func:`queues_for`):

``mine``
    Open complaints I handle; for an agent also the open ones I received (首问负责人).
``department``
    My department's open complaints (handlers and managers).
``unassigned``
    Received and not yet graded and dispatched (agents).
``review``
    Reported done and awaiting customer service's review (agents; shown while the active
    policy has the review step).
``approval``
    A solution awaits approval and I may give it: a manager sees their department's solutions
    within the manager tier (``Solution.required_role`` handler or manager, as
    ``services.transitions`` decides it from the policy's tiers), an executive those that
    need the executive.
``callback``
    Awaiting the callback, for the roles the complaint's policy lets record it
    (``callback.by_roles``); a handler or manager only for their own department, and never a
    case they handled this round when the policy wants someone other than the handler.
``due_soon``
    Open, not overdue, with a running milestone inside the policy's warning window: its
    ``warn_at`` (``escalation.warn_ratio`` of the duration) has passed and its ``due_at`` has
    not. These are exactly the deadlines the sweep warns owners about ("Deadline near").
``overdue``
    Open with a deadline passed and still unmet: ``is_overdue`` (set by the sweep, cleared when
    the late milestone is met), or a next deadline already past that the sweep has not reached
    yet, so a row never shows a red countdown outside this queue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core import signing
from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    F,
    Func,
    OrderBy,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesu.accounts.models import Role, User
from kesu.complaints.access import DEPARTMENT_ROLES, visible_complaints, works_with_contacts
from kesu.complaints.errors import InvalidInput, NotFound
from kesu.complaints.models import (
    Complaint,
    Customer,
    Milestone,
    MilestoneStatus,
    Solution,
    SolutionStatus,
)
from kesu.complaints.states import State

OPEN_STATES = sorted(State.open_states())

# --- keyset pages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One column of a sort order. ``nullable`` columns sort their NULLs last."""

    field: str
    descending: bool = False
    nullable: bool = False
    kind: type = datetime


@dataclass(frozen=True)
class Keyset:
    """A total sort order (its last key is unique) and the cursors that walk it."""

    salt: str
    keys: tuple[Key, ...]

    def order(self, *, reverse: bool = False) -> list[OrderBy]:
        out = []
        for key in self.keys:
            desc = key.descending != reverse
            expr = F(key.field)
            if key.nullable:
                # NULLs last going forward, so first when walking backwards.
                out.append(expr.desc(nulls_first=True) if desc else expr.asc(nulls_last=True))
            else:
                out.append(expr.desc() if desc else expr.asc())
        return out

    def values(self, row: Any) -> tuple[Any, ...]:
        return tuple(getattr(row, key.field) for key in self.keys)

    def encode(self, row: Any) -> str:
        raw = [v.isoformat() if isinstance(v, datetime) else v for v in self.values(row)]
        return signing.dumps(raw, salt=self.salt)

    def decode(self, token: str, *, param: str) -> tuple[Any, ...]:
        """The sort key a cursor carries; a cursor that was not made here is bad input."""
        try:
            raw = signing.loads(token, salt=self.salt)
            if not isinstance(raw, list) or len(raw) != len(self.keys):
                raise ValueError(token)
            out = []
            for key, value in zip(self.keys, raw, strict=True):
                if value is None:
                    if not key.nullable:
                        raise ValueError(token)
                    out.append(None)
                elif key.kind is datetime:
                    out.append(datetime.fromisoformat(value))
                else:
                    out.append(int(value))
            return tuple(out)
        except (signing.BadSignature, ValueError, TypeError):
            raise InvalidInput(errors={param: _("This cursor is not valid.")}) from None

    def beyond(self, values: Sequence[Any], *, forward: bool = True) -> Q:
        """Rows strictly after (``forward``) or before the row with these sort values."""
        alternatives: list[Q] = []
        prefix = Q()
        for key, value in zip(self.keys, values, strict=True):
            step = self._strictly(key, value, forward=forward)
            if step is not None:
                alternatives.append(prefix & step)
            if value is None:
                prefix &= Q(**{f"{key.field}__isnull": True})
            else:
                prefix &= Q(**{key.field: value})
        if not alternatives:
            return Q(pk__in=[])
        out = alternatives[0]
        for alt in alternatives[1:]:
            out |= alt
        return out

    @staticmethod
    def _strictly(key: Key, value: Any, *, forward: bool) -> Q | None:
        name = key.field
        if key.descending:  # descending keys are never NULL here
            return Q(**{f"{name}__lt" if forward else f"{name}__gt": value})
        if forward:
            if value is None:
                return None  # nothing comes after a NULL: NULLs are last
            step = Q(**{f"{name}__gt": value})
            return step | Q(**{f"{name}__isnull": True}) if key.nullable else step
        if value is None:
            return Q(**{f"{name}__isnull": False})
        return Q(**{f"{name}__lt": value})


# Queue order: the nearest deadline first, cases without a running deadline last; ties by the
# time received, then id. Shared with the API (same salt: its cursors stay valid).
QUEUE_ORDER = Keyset(
    salt="kesu.api.complaints.cursor",
    keys=(
        Key("next_due_at", nullable=True),
        Key("received_at"),
        Key("id", kind=int),
    ),
)
# Search order: the most recently received first.
RECENT_ORDER = Keyset(
    salt="kesu.complaints.search.cursor",
    keys=(Key("received_at", descending=True), Key("id", descending=True, kind=int)),
)


@dataclass
class Page:
    rows: list[Any]
    next: str | None = None
    previous: str | None = None


def page(
    qs: QuerySet[Any],
    *,
    limit: int,
    after: str | None = None,
    before: str | None = None,
    order: Keyset = QUEUE_ORDER,
) -> Page:
    """One page of ``qs`` in ``order`` after (or before) a cursor, with the cursors of the
    neighbouring pages (None where there is none). A cursor only ever narrows ``qs``."""
    if before:
        values = order.decode(before, param="before")
        found = list(
            qs.filter(order.beyond(values, forward=False)).order_by(*order.order(reverse=True))[
                : limit + 1
            ]
        )
        rows = found[:limit][::-1]
        return Page(
            rows,
            next=order.encode(rows[-1]) if rows else None,
            previous=order.encode(rows[0]) if rows and len(found) > limit else None,
        )
    if after:
        qs = qs.filter(order.beyond(order.decode(after, param="after")))
    found = list(qs.order_by(*order.order())[: limit + 1])
    rows = found[:limit]
    return Page(
        rows,
        next=order.encode(rows[-1]) if rows and len(found) > limit else None,
        previous=order.encode(rows[0]) if rows and after else None,
    )


# --- filters and search ----------------------------------------------------------------------


@dataclass(frozen=True)
class ListFilters:
    """The filters a complaint list accepts (console queues, search, the API list). ``None``
    leaves a filter out; dates are aware datetimes, ``received_to`` exclusive."""

    states: tuple[str, ...] = ()
    level: str | None = None
    category: str | None = None
    channel: str | None = None
    department: str | None = None  # department code
    handler: int | None = None  # user id
    is_repeat: bool | None = None
    is_overdue: bool | None = None
    reopened: bool | None = None
    urgent: bool | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    q: str | None = None
    # False: ``q`` finds a customer's phone only whole (access.works_with_contacts).
    phone_digits: bool = True


def apply_filters(qs: QuerySet[Complaint], f: ListFilters) -> QuerySet[Complaint]:
    if f.states:
        qs = qs.filter(state__in=list(f.states))
    exact = {
        "level": f.level,
        "category": f.category,
        "channel": f.channel,
        "department__code": f.department,
        "handler_id": f.handler,
        "is_repeat": f.is_repeat,
        "is_overdue": f.is_overdue,
        "urgent": f.urgent,
    }
    qs = qs.filter(**{k: v for k, v in exact.items() if v is not None})
    if f.reopened is not None:
        qs = qs.filter(reopen_count__gt=0) if f.reopened else qs.filter(reopen_count=0)
    if f.received_from is not None:
        qs = qs.filter(received_at__gte=f.received_from)
    if f.received_to is not None:
        qs = qs.filter(received_at__lt=f.received_to)
    term = normalize_term(f.q)
    if term:
        qs = qs.filter(search_condition(term, phone_digits=f.phone_digits))
    return qs


def normalize_term(term: str | None) -> str:
    """Whitespace collapsed; control characters (a NUL PostgreSQL would refuse) dropped."""
    text = "".join(ch if ch.isprintable() else " " for ch in (term or ""))
    return " ".join(text.split())


# Terms of this length are narrowed by the bigram index on PostgreSQL (migration 0010); longer
# ones by the trigram indexes (migration 0002), which need three characters to look anything up.
BIGRAM_LENGTH = 2
TRIGRAM_MIN_LENGTH = 3

COMPLAINT_TEXT = ("title", "description", "order_no", "waybill_no")  # as in cmp_text_bigram
CUSTOMER_TEXT = ("name", "company", "phone")  # as in cust_text_bigram


class _Condition(Func):
    output_field = BooleanField()
    conditional = True

    def _compiled(self, compiler) -> tuple[list[str], list[Any]]:
        parts, params = [], []
        for expression in self.get_source_expressions():
            sql, more = compiler.compile(expression)
            parts.append(sql)
            params.extend(more)
        return parts, params


class HasBigrams(_Condition):
    """``kesu_bigrams(columns…) @> kesu_bigrams(term)`` (PostgreSQL, migration 0010): the
    rows whose columns hold every two-character piece of ``term``, case-folded like
    ``icontains``. Same columns in the same order as the index, or the index is not used.

    For a term of two characters this is exactly "some column contains the term"; still, it is
    only used to narrow, next to the exact test (:class:`ContainsText`)."""

    def __init__(self, columns: Sequence[str], term: str) -> None:
        super().__init__(*(F(column) for column in columns), Value(term))

    def as_sql(self, compiler, connection, **extra_context):
        (*columns, term), params = self._compiled(compiler)
        return f"kesu_bigrams({', '.join(columns)}) @> kesu_bigrams(({term})::text)", params


class ContainsText(_Condition):
    """``column`` contains ``term``, ignoring case: the test of ``icontains`` on PostgreSQL
    (``UPPER`` of both sides), written with ``strpos`` instead of ``LIKE``. For terms shorter
    than three characters, so that the planner cannot pick the trigram indexes: a two-character
    pattern has no trigram, and the index would be read whole (seconds at 1,000,000 rows)."""

    def __init__(self, column: str, term: str) -> None:
        super().__init__(F(column), Value(term))

    def as_sql(self, compiler, connection, **extra_context):
        (column, term), params = self._compiled(compiler)
        return f"strpos(UPPER(({column})::text), UPPER(({term})::text)) > 0", params


class CustomerIn(_Condition):
    """``customer_id = ANY(ARRAY(customers))`` on PostgreSQL: unlike ``IN (subquery)`` it can
    be one arm of a BitmapOr over the complaint's own indexes (a rare term: a few index reads)
    and still be a cheap filter while walking ``received_at`` (a frequent term: the first page
    is found after a few hundred rows). Elsewhere ``customer_id IN (customers)``."""

    def __init__(self, customers: QuerySet[Customer]) -> None:
        super().__init__(F("customer_id"), Subquery(customers.values("pk")))

    def as_sql(self, compiler, connection, **extra_context):
        (column, customers), params = self._compiled(compiler)
        if connection.vendor == "postgresql":
            return f"{column} = ANY(ARRAY{customers})", params
        return f"{column} IN {customers}", params


def _text_condition(columns: Sequence[str], term: str, *, whole: Sequence[str] = ()) -> Q:
    """``term`` in any of ``columns`` (case-insensitive substring), or equal to one of the
    ``whole`` columns among them (matched whole only). On PostgreSQL a term of two characters
    is found through the bigram index and checked exactly; a single character can use no index
    (a scan, or a walk in the page's order that stops after one page)."""
    exact = Q()
    for column in whole:
        exact |= Q(**{column: term})
    if connection.vendor != "postgresql" or len(term) >= TRIGRAM_MIN_LENGTH:
        for column in columns:
            if column not in whole:
                exact |= Q(**{f"{column}__icontains": term})
        return exact
    for column in columns:
        if column not in whole:
            exact |= Q(ContainsText(column, term))
    if len(term) == BIGRAM_LENGTH:
        # The exact test first: PostgreSQL evaluates AND left to right, and it is cheaper
        # than computing a row's bigrams where the index is not what found the row.
        return exact & Q(HasBigrams(columns, term))
    return exact


def search_condition(term: str, *, phone_digits: bool = True) -> Q:
    """Complaints matching one search box: the number (exact, any case), the customer's phone,
    name or company, the order or waybill no., or words of the title or description.

    One condition on the complaint row: its own columns, or its customer among the matching
    customers (:class:`CustomerIn`). On PostgreSQL the planner then either combines indexes
    (a rare term: the number's btree, the text indexes, the customer index, in one BitmapOr)
    or walks the list's order and stops after a page (a frequent term). The text indexes are
    the trigram ones (migration 0002) for terms of three characters or more and the bigram
    ones (migration 0010) for two characters, which have no trigram. A single character has
    no index (the console asks for two; the API allows it). On SQLite: LIKE scans.

    ``phone_digits`` False (a reader who sees phone numbers masked): the phone is matched only
    whole, so a masked number cannot be found out by searching for parts of it."""
    term = normalize_term(term)
    own = Q(number=term.upper()) | _text_condition(COMPLAINT_TEXT, term)
    whole = () if phone_digits else ("phone",)
    customers = Customer.objects.filter(
        _text_condition(CUSTOMER_TEXT, term, whole=whole)
    ).order_by()
    return own | Q(CustomerIn(customers))


def search(user: User, term: str, filters: ListFilters | None = None) -> QuerySet[Complaint]:
    """What ``user`` may see that matches ``term``, in any state (sort with RECENT_ORDER)."""
    condition = search_condition(term, phone_digits=works_with_contacts(user))
    qs = visible_complaints(user).filter(condition)
    return apply_filters(qs, filters) if filters else qs


# --- the queues ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyRules:
    """What the stored policy versions say about queues: read once per request."""

    review_step: bool = False  # the active policy's
    callback_roles: dict[int, frozenset[str]] = field(default_factory=dict)
    other_than_handler: frozenset[int] = frozenset()
    satisfied_min_rating: int = 4  # the active policy's

    def callback_policies(self, role: str) -> list[int]:
        return sorted(pk for pk, roles in self.callback_roles.items() if role in roles)

    def role_calls_back(self, role: str) -> bool:
        return bool(self.callback_policies(role))


def policy_rules() -> PolicyRules:
    """One small query over the policy versions (JSON keys only, not whole documents)."""
    from kesu.policy.models import Policy

    review = False
    satisfied = 4
    roles: dict[int, frozenset[str]] = {}
    strict: set[int] = set()
    rows = Policy.objects.values_list(
        "pk", "is_active", "document__review_step", "document__callback"
    )
    for pk, active, review_step, callback in rows:
        callback = callback if isinstance(callback, dict) else {}
        roles[pk] = frozenset(callback.get("by_roles") or ["agent"])
        if callback.get("by_other_than_handler", True):
            strict.add(pk)
        if active:
            review = bool(review_step)
            satisfied = int(callback.get("satisfied_min_rating") or 4)
    return PolicyRules(
        review_step=review,
        callback_roles=roles,
        other_than_handler=frozenset(strict),
        satisfied_min_rating=satisfied,
    )


Condition = Callable[[User, datetime, PolicyRules], Q]


@dataclass(frozen=True)
class Queue:
    slug: str
    label: str | Promise
    condition: Condition
    alarm: bool = False  # its count shows in red when not zero

    def complaints(self, user: User, *, now: datetime, rules: PolicyRules) -> QuerySet[Complaint]:
        return visible_complaints(user).filter(
            Q(state__in=OPEN_STATES) & self.condition(user, now, rules)
        )


NOTHING = Q(pk__in=[])


def _mine(user: User, now: datetime, rules: PolicyRules) -> Q:
    if user.role == Role.AGENT:
        return Q(handler=user) | Q(received_by=user)
    return Q(handler=user)


def _department(user: User, now: datetime, rules: PolicyRules) -> Q:
    return Q(department=user.department_id) if user.department_id else NOTHING


def _unassigned(user: User, now: datetime, rules: PolicyRules) -> Q:
    return Q(state=State.RECEIVED)


def _review(user: User, now: datetime, rules: PolicyRules) -> Q:
    return Q(state=State.PENDING_REVIEW)


def _approval(user: User, now: datetime, rules: PolicyRules) -> Q:
    if user.role == Role.EXECUTIVE:
        tiers = ["executive"]
        where = Q()
    elif user.role == Role.MANAGER and user.department_id:
        tiers = ["handler", "manager"]
        where = Q(department=user.department_id)
    else:
        return NOTHING
    pending = Solution.objects.filter(
        complaint=OuterRef("pk"), status=SolutionStatus.PENDING_APPROVAL, required_role__in=tiers
    )
    return Q(state=State.PENDING_APPROVAL) & where & Exists(pending)


def _callback(user: User, now: datetime, rules: PolicyRules) -> Q:
    policies = rules.callback_policies(user.role)
    if not policies:
        return NOTHING
    q = Q(state=State.PENDING_CALLBACK, policy__in=policies)
    if user.role in DEPARTMENT_ROLES:
        if not user.department_id:
            return NOTHING
        q &= Q(department=user.department_id)
    strict = [pk for pk in policies if pk in rules.other_than_handler]
    if strict:
        # Not someone who handled this round (access.handled_this_round), where the policy
        # wants the callback made by someone else (seed 001 非原处理人).
        handled = Q(handler=user)
        if user.role in DEPARTMENT_ROLES:
            proposed = Solution.objects.filter(
                complaint=OuterRef("pk"), round_no=OuterRef("round_no"), proposed_by=user
            )
            handled |= Exists(proposed)
        q &= ~(Q(policy__in=strict) & handled)
    return q


def _due_soon(user: User, now: datetime, rules: PolicyRules) -> Q:
    warned = Milestone.objects.filter(
        complaint=OuterRef("pk"), status=MilestoneStatus.OPEN, warn_at__lte=now, due_at__gt=now
    )
    return Q(is_overdue=False, next_due_at__gte=now) & Exists(warned)


def _overdue(user: User, now: datetime, rules: PolicyRules) -> Q:
    return Q(is_overdue=True) | Q(next_due_at__lt=now)


QUEUES: dict[str, Queue] = {
    q.slug: q
    for q in (
        Queue("mine", gettext_lazy("Mine"), _mine),
        Queue("department", gettext_lazy("My department"), _department),
        Queue("unassigned", gettext_lazy("Unassigned"), _unassigned),
        Queue("review", gettext_lazy("Awaiting review"), _review),
        Queue("approval", gettext_lazy("Awaiting approval"), _approval),
        Queue("callback", gettext_lazy("Awaiting callback"), _callback),
        Queue("due_soon", gettext_lazy("Due soon"), _due_soon),
        Queue("overdue", gettext_lazy("Overdue"), _overdue, alarm=True),
    )
}

# The queues of each role, in the order the console shows them. ``review`` and ``callback``
# also depend on the policy (see queues_for).
ROLE_QUEUES: dict[str, tuple[str, ...]] = {
    Role.AGENT: ("unassigned", "mine", "review", "callback", "due_soon", "overdue"),
    Role.HANDLER: ("mine", "department", "callback", "due_soon", "overdue"),
    Role.MANAGER: ("department", "mine", "approval", "callback", "due_soon", "overdue"),
    Role.EXECUTIVE: ("approval", "due_soon", "overdue"),
    Role.QUALITY: ("callback", "due_soon", "overdue"),
    Role.ADMIN: ("due_soon", "overdue"),
}


def queues_for(user: User, rules: PolicyRules) -> list[Queue]:
    """The queues ``user``'s role works from (none for customers and anonymous users)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    out = []
    for slug in ROLE_QUEUES.get(user.role, ()):
        if slug == "review" and not rules.review_step:
            continue
        if slug == "callback" and not rules.role_calls_back(user.role):
            continue
        out.append(QUEUES[slug])
    return out


def queue_for(user: User, slug: str, rules: PolicyRules) -> Queue:
    """The queue ``slug`` if ``user`` works from it; not found otherwise."""
    for q in queues_for(user, rules):
        if q.slug == slug:
            return q
    raise NotFound()


# The navigation counts at most this many rows per queue and shows "1000+" beyond: an exact
# count reads every row of a long queue on every page (≈ 0.5 s for 750,000 open complaints),
# and past a thousand the number no longer tells anyone what to do next.
COUNT_CAP = 1000


def queue_counts(
    user: User, queues: Iterable[Queue], *, now: datetime, rules: PolicyRules
) -> dict[str, int]:
    """One COUNT per queue, each narrowed by its own indexed condition first and stopped after
    ``COUNT_CAP`` + 1 rows (a count above ``COUNT_CAP`` means "more than that")."""
    return {
        q.slug: q.complaints(user, now=now, rules=rules).order_by()[: COUNT_CAP + 1].count()
        for q in queues
    }


# --- rows as the lists show them -------------------------------------------------------------

LIST_RELATED = ("customer", "department", "handler")


def _zh() -> bool:
    return (translation.get_language() or "zh-hans").startswith("zh")


def local_name(obj: Any) -> str:
    """A policy item's or department's name in the active language."""
    if obj is None:
        return ""
    return obj.name if _zh() or not getattr(obj, "name_en", "") else obj.name_en


class PolicyNames:
    """Level, category and milestone names from the policy version each complaint was graded
    under: one query for all the versions a list needs."""

    def __init__(self, policy_ids: Iterable[int]) -> None:
        from kesu.policy.models import Policy

        ids = set(policy_ids)
        self.docs = {p.pk: p.doc for p in Policy.objects.filter(pk__in=ids)} if ids else {}

    def level(self, policy_id: int, code: str) -> tuple[str, int | None]:
        doc = self.docs.get(policy_id)
        level = next((lv for lv in doc.levels if lv.code == code), None) if doc else None
        return (local_name(level), level.rank) if level else (code, None)

    def category(self, policy_id: int, code: str) -> str:
        doc = self.docs.get(policy_id)
        category = doc.category(code) if doc else None
        return local_name(category) if category else code

    def milestone(self, policy_id: int, kind: str, fallback: str) -> str:
        doc = self.docs.get(policy_id)
        rules = [*doc.milestones, *doc.channel_rules] if doc else []
        rule = next((r for r in rules if r.kind == kind), None)
        return local_name(rule) if rule else fallback


def label_rows(
    rows: Sequence[Complaint], *, now: datetime, names: PolicyNames | None = None
) -> list[Complaint]:
    """Attach what a list shows to complaints selected with LIST_RELATED: ``level_name``,
    ``level_rank``, ``category_name``, ``department_name`` and ``late`` (what puts a case in
    the overdue queue)."""
    names = names or PolicyNames(c.policy_id for c in rows)
    for c in rows:
        c.level_name, c.level_rank = names.level(c.policy_id, c.level)
        c.category_name = names.category(c.policy_id, c.category)
        c.department_name = local_name(c.department)
        c.late = c.is_overdue or (c.next_due_at is not None and c.next_due_at < now)
    return list(rows)
