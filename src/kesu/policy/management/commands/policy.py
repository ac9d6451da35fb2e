"""`kesu policy load NAME|FILE`, `kesu policy list`, `kesu policy check FILE`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kesu.policy.loader import PolicyError, policy_load, preset_names, read_policy_file
from kesu.policy.models import Policy


class Command(BaseCommand):
    help = "Load, check or list complaint-procedure policies."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        load = sub.add_parser("load", help="validate and activate a preset or a YAML file")
        load.add_argument("source", help=f"preset name ({', '.join(preset_names())}) or file")
        check = sub.add_parser("check", help="validate without storing")
        check.add_argument("source")
        sub.add_parser("list", help="presets and stored versions")

    def handle(self, *args, verb: str, **opts):
        try:
            if verb == "load":
                policy = policy_load(opts["source"])
                self.stdout.write(
                    f"active policy: {policy.name} v{policy.version} ({policy.title})"
                )
            elif verb == "check":
                doc, source = read_policy_file(opts["source"])
                self.stdout.write(f"{source}: valid ({doc.name}, {len(doc.levels)} levels)")
            else:
                self.stdout.write("presets: " + ", ".join(preset_names()))
                for p in Policy.objects.all():
                    mark = "*" if p.is_active else " "
                    self.stdout.write(f" {mark} {p.name} v{p.version} {p.loaded_at:%Y-%m-%d %H:%M}")
        except PolicyError as exc:
            lines = "\n".join(f"  - {p}" for p in exc.problems)
            raise CommandError(f"policy {exc.source} is not valid:\n{lines}") from None
