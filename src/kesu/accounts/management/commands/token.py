"""`kesu token create USER [--name N]`: issue an API token (shown once)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from kesu.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Create an API token for a user."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create")
        create.add_argument("username")
        create.add_argument("--name", default="cli")

    def handle(self, *args, verb: str, username: str, name: str, **opts):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        _, raw = ApiToken.issue(user=user, name=name)
        self.stdout.write(raw)
