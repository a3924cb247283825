"""``mamori risk export|import|register``: the risk register from the shell (ISM ch.4, 21).

``import`` is all or nothing and exits 1 naming every bad row; ``register`` prints the
ranked register (``--json`` for machines).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from mamori.risk.models.scenarios import STAGES


class Command(BaseCommand):
    """Export and import the inventory and the risks; print the register."""

    help = "Export or import the asset inventory and the risks (Excel); print the register."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the sub-commands."""
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write assets and risks as .xlsx")
        export.add_argument("--output", type=Path, required=True)
        export.add_argument("--assessment", type=int, help="default: the newest")
        imp = sub.add_parser("import", help="import assets and risks from .xlsx (all or nothing)")
        imp.add_argument("path", type=Path)
        imp.add_argument("--as", dest="username", required=True, help="who imports")
        imp.add_argument("--assessment", type=int, help="default: the newest")
        register = sub.add_parser("register", help="print the risks in order of treatment")
        register.add_argument("--assessment", type=int, help="default: the newest")
        register.add_argument("--stage", choices=STAGES)
        register.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the chosen sub-command."""
        from mamori.risk.models import Assessment

        if options.get("assessment"):
            found = Assessment.objects.select_related("matrix")
            assessment = found.filter(pk=options["assessment"]).first()
        else:
            assessment = Assessment.newest()
        if assessment is None:
            raise CommandError("no such risk assessment (start one on the risk register page)")
        getattr(self, "_" + options["action"])(assessment, options)

    def _export(self, assessment: Any, options: dict[str, Any]) -> None:
        import hashlib

        from mamori.auditlog.services import record_export
        from mamori.risk.services import workbook

        body = workbook.export(assessment)
        options["output"].write_bytes(body)
        record_export(
            "risk.register",
            hashlib.sha256(body).hexdigest(),
            {"format": "xlsx", "via": "cli"},
            object_id=str(assessment.pk),
        )
        self.stdout.write(f"wrote {options['output']} ({len(body)} bytes)")

    def _import(self, assessment: Any, options: dict[str, Any]) -> None:
        from mamori.accounts.models import User
        from mamori.accounts.services.roles import has_permission
        from mamori.risk.services import workbook

        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None or not has_permission(user, "risk.manage"):
            raise CommandError(f"{options['username']} is not a person who may manage risks")
        try:
            counts = workbook.import_workbook(options["path"].read_bytes(), assessment, user)
        except OSError as error:
            raise CommandError(f"cannot read {options['path']}: {error}") from None
        except workbook.ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(f"{problem.sheet} row {problem.row}: {problem.reason}")
            raise CommandError(refused.message) from None
        self.stdout.write(
            f"imported {counts['assets']} assets, {counts['scenarios']} new risks; "
            f"{counts['ratings_changed']} ratings changed"
        )

    def _register(self, assessment: Any, options: dict[str, Any]) -> None:
        from mamori.risk.services import scenarios

        rows = [
            {
                "priority": rank.priority,
                "code": scenario.code,
                "name": scenario.name_en,
                "owner": scenario.owner.username,
                "level": rank.level.code,
                "likelihood": rank.rating.likelihood,
                "impact": rank.rating.impact,
                "within_acceptance": rank.within_acceptance,
                "needs_review": scenario.needs_review,
            }
            for scenario, rank in scenarios.ranking(assessment, options["stage"] or "residual")
        ]
        if options["json"]:
            self.stdout.write(json.dumps({"assessment": assessment.name, "risks": rows}))
            return
        for row in rows:
            flag = "" if row["within_acceptance"] else "  above acceptance"
            self.stdout.write(
                f"{row['priority']:>3}  {row['code']:<10} {row['level']:<9} "
                f"{row['likelihood']}×{row['impact']}  {row['owner']:<12} {row['name']}{flag}"
            )
