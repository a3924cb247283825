"""``mamori token create|list|revoke``: API tokens for the exchange's services."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from mamori.accounts.models import ApiToken
from mamori.accounts.services import tokens
from mamori.core.scopes import known_scopes


class Command(BaseCommand):
    """Issue, list and revoke API tokens."""

    help = "Issue, list and revoke API tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the sub-commands."""
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="issue a token (printed once)")
        create.add_argument("--name", required=True)
        create.add_argument(
            "--scope",
            action="append",
            required=True,
            dest="scopes",
            help=f"repeatable; one of: {', '.join(known_scopes())}",
        )
        create.add_argument("--days", type=int, default=90)
        sub.add_parser("list", help="list tokens (never their secrets)")
        revoke = sub.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the chosen sub-command."""
        action = options["action"]
        if action == "create":
            try:
                issued = tokens.issue(options["name"], options["scopes"], options["days"], None)
            except tokens.TokenError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(issued.secret)
        elif action == "list":
            for token in ApiToken.objects.all():
                state = (
                    "revoked" if token.revoked_at else ("active" if token.is_usable else "expired")
                )
                self.stdout.write(
                    f"{token.prefix}  {state:<8} {token.expires_at:%Y-%m-%d}  "
                    f"{','.join(token.scopes)}  {token.name}"
                )
        else:
            found = ApiToken.objects.filter(prefix=options["prefix"]).first()
            if found is None:
                raise CommandError(f"no token with prefix {options['prefix']!r}")
            tokens.revoke(found, None)
            self.stdout.write(f"revoked {found.prefix} ({found.name})")
