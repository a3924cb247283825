"""``mamori unlock USER``: lift a sign-in lock-out."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from mamori.accounts.services import throttle


class Command(BaseCommand):
    """Lift the lock-out of a user name."""

    help = "Lift the sign-in lock-out of a user name."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the user name."""
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        """Unlock and say whether anything was locked."""
        if throttle.unlock(options["username"]):
            self.stdout.write(f"unlocked {options['username']}")
        else:
            self.stdout.write(f"{options['username']} had no failures recorded")
