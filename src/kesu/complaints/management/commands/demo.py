"""`kesu demo`: people for every role and complaints in every state (needs an active policy)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kesu.policy.loader import NoActivePolicy


class Command(BaseCommand):
    help = "Create realistic demo data through the services (idempotent per user names)."

    def handle(self, *args, **opts):
        from kesu.demo.builder import DEMO_PASSWORD, build_demo, demo_exists, demo_logins

        if demo_exists():
            self.stdout.write("demo data already present")
            return
        try:
            made = build_demo()
        except NoActivePolicy as exc:
            raise CommandError(str(exc)) from None
        if opts["verbosity"] == 0:
            return  # `kesu serve` prints the logins itself
        self.stdout.write(
            f"created {len(made)} demo complaints; logins (password {DEMO_PASSWORD}):"
        )
        for username, role, name in demo_logins():
            self.stdout.write(f"  {username:<24} {role:<10} {name}")
