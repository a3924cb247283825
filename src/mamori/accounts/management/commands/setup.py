"""``mamori setup``: the first administrator and the organisation's name, on an empty install.

Prints a one-time code; the administrator opens ``/accounts/welcome/``, sets a password and
enrols an authenticator. Refuses to run once anyone has an account.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    """Create the first administrator of a fresh installation."""

    help = "Create the first administrator and name the organisation (empty installation only)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the options."""
        parser.add_argument("--username", required=True, help="the administrator's user name")
        parser.add_argument("--email", required=True, help="the administrator's e-mail")
        parser.add_argument(
            "--organisation-ja", required=True, help="the organisation's name in Japanese"
        )
        parser.add_argument(
            "--organisation-en", required=True, help="the organisation's name in English"
        )
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000",
            help="where mamori is served, to print the first sign-in link",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Create the administrator and print the one-time code."""
        from mamori.accounts.services import people
        from mamori.auditlog.context import acting

        try:
            with acting("system:setup"):
                invited = people.first_administrator(
                    options["username"],
                    options["email"],
                    options["organisation_ja"],
                    options["organisation_en"],
                )
        except people.PeopleRefused as refused:
            raise CommandError(refused.message) from None
        link = f"{options['url'].rstrip('/')}/accounts/welcome/?user={invited.user.username}"
        self.stdout.write(f"administrator {invited.user.username} created")
        self.stdout.write(f"one-time code (valid {people.INVITATION_DAYS} days): {invited.code}")
        self.stdout.write(f"first sign-in: {link}")
        self.stdout.write("there: the code, a new password, then enrol an authenticator app")
