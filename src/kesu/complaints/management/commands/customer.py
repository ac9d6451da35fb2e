"""`kesu customer export|erase`: a customer's request about their personal data, from the
command line (docs/privacy.md).

    kesu customer export <id|phone|email|complaint number> [-o FILE] [--as USERNAME]
    kesu customer erase <id> --reason "…" [--yes] [--as USERNAME]

Both are logged as done by ``--as`` (an administrator or a customer-service manager; default:
the only active administrator). ``erase`` asks for confirmation unless ``--yes`` is given."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kesu.accounts.models import Role, User
from kesu.complaints.errors import DomainError
from kesu.complaints.models import Customer, CustomerDataLog
from kesu.complaints.privacy import mask_email, mask_phone
from kesu.complaints.services import customer_data

VIA = CustomerDataLog.Via.COMMAND


class Command(BaseCommand):
    help = _("Export or erase one customer's personal data on their request.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        export = sub.add_parser("export", help=_("Everything kept about the customer, as a zip."))
        export.add_argument("ref", help=_("Customer id, phone, email or complaint number."))
        export.add_argument("-o", "--output", help=_("The zip to write (default: stdout)."))
        export.add_argument("--as", dest="username", help=_("Who handles the request."))
        erase = sub.add_parser("erase", help=_("Erase the customer's identity."))
        erase.add_argument("id", help=_("The customer's id."))
        erase.add_argument("--reason", required=True, help=_("The request (logged)."))
        erase.add_argument("--yes", action="store_true", help=_("Do not ask for confirmation."))
        erase.add_argument("--as", dest="username", help=_("Who handles the request."))

    def handle(self, *args: object, **opts: object) -> None:
        actor = _actor(opts.get("username"))
        try:
            if opts["what"] == "export":
                self.export(actor, str(opts["ref"]), opts.get("output"))
            else:
                self.erase(actor, str(opts["id"]), str(opts["reason"]), bool(opts["yes"]))
        except DomainError as exc:
            details = "; ".join(str(v) for v in exc.details.get("errors", {}).values())
            raise CommandError(details or str(exc.message)) from None

    def export(self, actor: User, ref: str, output: object) -> None:
        found = customer_data.find_customers(ref)
        if not found:
            raise CommandError(_("No customer matches %(ref)s.") % {"ref": ref})
        if len(found) > 1:
            ids = ", ".join(str(c.pk) for c in found)
            raise CommandError(
                _("%(count)s customers match; give one of their ids: %(ids)s")
                % {"count": len(found), "ids": ids}
            )
        content = customer_data.export_customer_data(found[0], actor=actor, via=VIA)
        if output:
            Path(str(output)).write_bytes(content)
            self.stderr.write(
                _("Customer %(id)s exported to %(file)s (%(size)s bytes).")
                % {"id": found[0].pk, "file": output, "size": len(content)}
            )
        else:
            sys.stdout.buffer.write(content)
            sys.stdout.buffer.flush()

    def erase(self, actor: User, pk: str, reason: str, yes: bool) -> None:
        customer = customer_data.customer_by_id(pk)
        if not yes:
            self.stdout.write(_describe(customer))
            answer = input(_("Erase this customer's personal data for good? Type 'yes': "))
            if answer.strip().lower() != "yes":
                raise CommandError(_("Nothing was erased."))
        result = customer_data.erase_customer(customer, actor, reason, via=VIA)
        counts = result.counts
        self.stdout.write(
            _(
                "Customer %(id)s erased: %(complaints)s complaints kept as anonymous records, "
                "%(files)s files deleted; %(events)s timeline entries still quote them in "
                "free text (the timeline cannot be changed)."
            )
            % {
                "id": customer.pk,
                "complaints": counts.get("complaint_count", 0),
                "files": counts.get("files_deleted", 0),
                "events": counts.get("events_with_identifiers", 0),
            }
        )


def _describe(customer: Customer) -> str:
    contacts = " ".join(v for v in (mask_phone(customer.phone), mask_email(customer.email)) if v)
    return _("Customer %(id)s: %(name)s %(contacts)s, %(count)s complaints.") % {
        "id": customer.pk,
        "name": customer,
        "contacts": contacts,
        "count": customer.complaints.count(),
    }


def _actor(username: object) -> User:
    if username:
        user = User.objects.filter(username=str(username), is_active=True).first()
        if user is None:
            raise CommandError(_("No active user %(name)s.") % {"name": username})
        return user
    admins = list(User.objects.filter(role=Role.ADMIN, is_active=True)[:2])
    if len(admins) != 1:
        raise CommandError(_("Say who handles the request: --as USERNAME"))
    return admins[0]
