"""`kesu audit verify [--complaint NUMBER]`: recompute every timeline's hash chain and report
each event changed, removed or inserted by hand (kesu.complaints.audit). Exit status 1 when
anything is found, so a cron job or a monitor can alert on it."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.complaints.audit import verify
from kesu.complaints.models import Complaint


class Command(BaseCommand):
    help = _("Check the timelines' hash chains (changed, removed or inserted events).")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        check = sub.add_parser("verify", help=_("Recompute every chain and list the breaks."))
        check.add_argument("--complaint", help=_("Only this complaint (its number)."))

    def handle(self, *args, **opts):
        complaint = None
        if opts.get("complaint"):
            complaint = Complaint.objects.filter(number=opts["complaint"].strip().upper()).first()
            if complaint is None:
                raise CommandError(_("No complaint numbered %(n)s.") % {"n": opts["complaint"]})
        report = verify(complaint=complaint)
        for b in report.breaks:
            when = timezone.localtime(b.at).strftime("%Y-%m-%d %H:%M") if b.at else ""
            if b.problem == "missing":
                text = _(
                    "%(number)s: events %(first)s to %(last)s are missing (removed by hand)."
                ) % {"number": b.number, "first": b.expected_seq, "last": b.seq - 1}
            else:
                text = _(
                    "%(number)s: event %(seq)s (%(kind)s, %(when)s) does not match its seal"
                    " (changed or inserted by hand)."
                ) % {"number": b.number, "seq": b.seq, "kind": b.kind, "when": when}
            self.stdout.write(text)
        summary = _(
            "%(events)s events of %(complaints)s complaints checked, %(breaks)s problems."
        ) % {
            "events": report.events,
            "complaints": report.complaints,
            "breaks": len(report.breaks),
        }
        self.stdout.write(summary)
        if not report.ok:
            raise SystemExit(1)
