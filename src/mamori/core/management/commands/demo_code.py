"""``mamori demo-code USER``: print a demo account's current TOTP code (demo data only)."""

from argparse import ArgumentParser
from typing import Any

import pyotp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mamori.accounts.demo import PEOPLE, demo_secret
from mamori.core.management.commands.demo import DEMO_MARKER


class Command(BaseCommand):
    """Print the current authenticator code of a demo account."""

    help = "Print the current TOTP code of a demo account (only in a demo data directory)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the user name."""
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        """Refuse outside a demo data directory; print the code."""
        if not (settings.CONFIG.data_dir / DEMO_MARKER).exists():
            raise CommandError("demo-code works only in a data directory made by `mamori demo`")
        username = options["username"]
        if username not in {person[0] for person in PEOPLE}:
            raise CommandError(f"{username!r} is not a demo account")
        self.stdout.write(pyotp.TOTP(demo_secret(username)).now())
