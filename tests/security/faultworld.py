"""Prepare a fresh database for the fault tests, in a child process (``python -m
tests.security.faultworld``, DATABASE_URL naming it): migrate, the logistics preset, an agent
and a handler of operations with API tokens, and a signed-in console session for the agent.
Prints what the tests need as one JSON object. One process for all of it: each ``kesu``
command would pay Django's start-up again."""

from __future__ import annotations

import json

import django


def main() -> None:
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from kesu.accounts.models import ApiToken, Department, Role, User
    from kesu.policy.loader import policy_load

    call_command("migrate", verbosity=0, interactive=False)
    policy_load("logistics")

    def staff(username: str, role: str, department: str) -> User:
        return User.objects.create_user(
            username=username,
            password=None,
            role=role,
            department=Department.objects.get(code=department),
            display_name=username,
            email=f"{username}@staff.example.cn",
        )

    agent = staff("fault-agent", Role.AGENT, "customer_service")
    handler = staff("fault-handler", Role.HANDLER, "operations")
    staff("fault-manager", Role.MANAGER, "operations")
    client = Client()
    client.force_login(agent)
    print(
        json.dumps(
            {
                "tokens": {
                    "agent": ApiToken.issue(user=agent, name="faults")[1],
                    "handler": ApiToken.issue(user=handler, name="faults")[1],
                },
                "handler_id": handler.pk,
                "session": client.cookies["sessionid"].value,
            }
        )
    )


if __name__ == "__main__":
    main()
