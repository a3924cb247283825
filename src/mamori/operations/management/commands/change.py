"""``mamori change gate REF --digest D``: ask the deploy gate from the pipeline's shell (SRM 19).

Prints *go* or *no-go* with every reason (``--json`` for machines) and exits 0 for *go*, 1 for
*no-go* — a pipeline step fails on its own. The answer is kept like one given through the API
(asked through ``cli``; ``--as`` names the person asking, who must hold ``changes.gate``).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    """Ask the deploy gate for one artifact of a change."""

    help = "Ask the deploy gate: go (exit 0) or no-go (exit 1) with every reason."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the sub-commands."""
        sub = parser.add_subparsers(dest="action", required=True)
        ask = sub.add_parser("gate", help="ask the deploy gate for an artifact digest")
        ask.add_argument("reference", help="the change's reference (or id)")
        ask.add_argument("--digest", required=True, help="the artifact digest, e.g. sha256:…")
        ask.add_argument("--as", dest="username", help="the person asking (default: the CLI)")
        ask.add_argument("--json", action="store_true", help="print the answer as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        """Ask, print the answer, exit 1 on no-go."""
        from mamori.accounts.models import User
        from mamori.accounts.services.roles import has_permission
        from mamori.core.errors import Refused
        from mamori.operations.api_gate import decision_out
        from mamori.operations.services import gate

        asker = None
        if options.get("username"):
            asker = User.objects.filter(username=options["username"], is_active=True).first()
            if asker is None or not has_permission(asker, "changes.gate"):
                raise CommandError(f"{options['username']} may not ask the deploy gate")
        try:
            change = gate.find_change(options["reference"])
            decision = gate.decide(change, options["digest"], asker, via="cli")
        except Refused as refused:
            raise CommandError(refused.shown()) from None
        answer = decision_out(decision)
        if options["json"]:
            self.stdout.write(json.dumps(answer, ensure_ascii=False))
        else:
            word = "go" if decision.outcome == "go" else "no-go"
            self.stdout.write(f"{word}: {change.reference} {decision.artifact_digest}")
            if decision.override is not None:
                self.stdout.write(
                    f"  override (approval #{decision.override.approval_id}): "
                    f"{decision.override.reason}"
                )
            for reason in decision.reasons:
                self.stdout.write(f"  {reason['code']}: {reason['message']}")
        if decision.outcome != "go":
            raise SystemExit(1)
