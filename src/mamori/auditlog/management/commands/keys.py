"""``mamori keys init|prepare|rotate|list``: the signing keys of the log and of statements.

Private keys live in the configured store (PKCS#11 token or key directory outside the data
directory); the database keeps public keys only. ``init`` makes a purpose's first key;
``prepare`` makes the next one in the store and prints its public key; ``rotate`` asks for
it to become current (two people approve on the Approvals page)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

PURPOSES = ("log", "statement")


class Command(BaseCommand):
    """Make, prepare, rotate and list signing keys."""

    help = "Signing keys: init (first key), prepare (next key), rotate (ask), list."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the sub-commands."""
        sub = parser.add_subparsers(dest="action", required=True)
        init = sub.add_parser("init", help="make the first key of a purpose in the store")
        init.add_argument("purpose", choices=PURPOSES)
        prepare = sub.add_parser("prepare", help="make the next key in the store; print it")
        prepare.add_argument("purpose", choices=PURPOSES)
        rotate = sub.add_parser("rotate", help="ask for a prepared key to become current")
        rotate.add_argument("purpose", choices=PURPOSES)
        rotate.add_argument("key", help="the verifier key `keys prepare` printed")
        rotate.add_argument("--as", dest="as_user", required=True, help="who asks (user name)")
        sub.add_parser("list", help="every key, oldest first (public keys only)")

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the sub-command; a refusal exits non-zero with its reason."""
        from mamori.accounts.models import User
        from mamori.accounts.services import approvals
        from mamori.auditlog import keys
        from mamori.auditlog.context import acting
        from mamori.auditlog.models import SigningKey
        from mamori.core import signing

        action = options["action"]
        try:
            if action == "list":
                for row in SigningKey.objects.order_by("purpose", "pk"):
                    current = keys.current(row.purpose)
                    mark = "current" if current and current.pk == row.pk else "retired"
                    self.stdout.write(
                        f"{row.purpose:<10} {mark:<8} {row.store:<7} "
                        f"{row.created_at:%Y-%m-%d %H:%M} {row.created_by or '-'} "
                        f"{keys.verifier_of(row)}"
                    )
                return
            if action == "init":
                with acting("system:cli"):
                    row = keys.init(options["purpose"], "system:cli")
                self.stdout.write(
                    f"{row.purpose} key made in {signing.configured_store().location()}.\n"
                    "Give this verifier key to auditors (it is what they check against):\n"
                    f"{keys.verifier_of(row)}"
                )
            elif action == "prepare":
                verifier = keys.prepare(options["purpose"])
                self.stdout.write(
                    f"next {options['purpose']} key made in "
                    f"{signing.configured_store().location()} (not in use yet).\n"
                    f"Ask for it: mamori keys rotate {options['purpose']} {verifier} --as USER\n"
                    f"{verifier}"
                )
            else:
                user = User.objects.filter(username=options["as_user"], is_active=True).first()
                if user is None:
                    raise CommandError(f"no active user {options['as_user']!r}")
                with acting(f"user:{user.username}"):
                    request = keys.request_rotation(options["purpose"], options["key"], user)
                self.stdout.write(
                    f"rotation requested: approval request #{request.pk} "
                    "(two people approve it on the Approvals page)"
                )
        except signing.SigningError as exc:
            raise CommandError(exc.message) from None
        except approvals.ApprovalRefused as exc:
            raise CommandError(str(exc)) from None
