"""The filters every KPI and the report take (SPEC §7): department, category, channel, level,
customer (a customer or a customer account), handler.

:func:`resolve_filters` turns what a caller gives (codes, user names, ids) into a
:class:`Filters` of database ids, refusing unknown values; :meth:`Filters.q` gives the
condition on complaints, prefixed for queries that start from milestones or callbacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from kesu.accounts.models import Department, User
from kesu.complaints.errors import InvalidInput
from kesu.complaints.models import Channel, CustomerAccount


@dataclass(frozen=True)
class Filters:
    department_id: int | None = None
    category: str | None = None
    channel: str | None = None
    level: str | None = None
    customer_id: int | None = None
    account_id: int | None = None
    handler_id: int | None = None
    # What the caller asked for, as given: shown in the report's header and the API answer.
    given: dict[str, str] = field(default_factory=dict, compare=False)

    def q(self, prefix: str = "") -> Q:
        """The condition on complaints (``prefix`` "complaint__" from a related model)."""
        conditions: dict[str, Any] = {}
        for name, value in (
            ("department_id", self.department_id),
            ("category", self.category),
            ("channel", self.channel),
            ("level", self.level),
            ("customer_id", self.customer_id),
            ("customer__account_id", self.account_id),
            ("handler_id", self.handler_id),
        ):
            if value is not None:
                conditions[prefix + name] = value
        return Q(**conditions)

    def key(self) -> str:
        """A canonical text of the filters ('' for none, 'department:3', 'channel:web,level:major'
        …): the key of the monthly snapshots (``kesu.analysis.snapshots``)."""
        parts = [
            f"{name}:{value}"
            for name, value in (
                ("account", self.account_id),
                ("category", self.category),
                ("channel", self.channel),
                ("customer", self.customer_id),
                ("department", self.department_id),
                ("handler", self.handler_id),
                ("level", self.level),
            )
            if value is not None
        ]
        return ",".join(parts)

    def with_department(self, department: Department) -> Filters:
        given = {**self.given, "department": department.code}
        return Filters(
            department_id=department.pk,
            category=self.category,
            channel=self.channel,
            level=self.level,
            customer_id=self.customer_id,
            account_id=self.account_id,
            handler_id=self.handler_id,
            given=given,
        )


NO_FILTERS = Filters()


MAX_ID = 2**63 - 1  # the largest primary key (bigint)


def _as_id(value: str) -> int | None:
    """``value`` as a primary key if it is one: ASCII digits ("²".isdigit() is true, but int()
    refuses it) within the bigint range."""
    if value.isascii() and value.isdigit() and len(value) <= 19 and int(value) <= MAX_ID:
        return int(value)
    return None


def _user(value: str) -> User | None:
    found = User.objects.filter(username=value).first()
    if found is None and (pk := _as_id(value)) is not None:
        found = User.objects.filter(pk=pk).first()
    return found


def resolve_filters(
    *,
    department: str | None = None,
    category: str | None = None,
    channel: str | None = None,
    level: str | None = None,
    customer: str | None = None,
    handler: str | None = None,
) -> Filters:
    """Codes as the user knows them → a :class:`Filters`. ``customer`` is a customer id or a
    customer account's code; ``handler`` a user name (or id); ``department`` a code (or id).
    Category and level are codes taken as given (an old policy's codes still filter)."""
    errors: dict[str, str] = {}
    given = {
        name: value.strip()
        for name, value in (
            ("department", department),
            ("category", category),
            ("channel", channel),
            ("level", level),
            ("customer", customer),
            ("handler", handler),
        )
        if value is not None and value.strip()
    }
    for name, value in given.items():  # no code holds one, and PostgreSQL cannot compare it
        if "\x00" in value:
            errors[name] = _("Text cannot contain null characters.")
    if errors:
        raise InvalidInput(errors=errors)
    department_id = customer_id = account_id = handler_id = None
    if "department" in given:
        value = given["department"]
        dept = Department.objects.filter(code=value).first()
        if dept is None and (pk := _as_id(value)) is not None:
            dept = Department.objects.filter(pk=pk).first()
        if dept is None:
            errors["department"] = _("Unknown department.")
        else:
            department_id = dept.pk
    if "channel" in given and given["channel"] not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    if "customer" in given:
        value = given["customer"]
        if value.isascii() and value.isdigit():
            customer_id = _as_id(value)
            if customer_id is None:
                errors["customer"] = _("Unknown customer account.")
        else:
            account = CustomerAccount.objects.filter(code=value).first()
            if account is None:
                errors["customer"] = _("Unknown customer account.")
            else:
                account_id = account.pk
    if "handler" in given:
        user = _user(given["handler"])
        if user is None:
            errors["handler"] = _("Unknown user.")
        else:
            handler_id = user.pk
    if errors:
        raise InvalidInput(errors=errors)
    return Filters(
        department_id=department_id,
        category=given.get("category"),
        channel=given.get("channel"),
        level=given.get("level"),
        customer_id=customer_id,
        account_id=account_id,
        handler_id=handler_id,
        given=given,
    )
