"""``mamori cmdb import --source terraform FILE``: import a source file into the configuration
database (SRM 12-4).

Prints what changed (``--json`` for machines) and exits 0; a bad file is refused with every
bad row or JSON path and exits 1, nothing imported. ``--as`` names the person importing, who
must hold ``cmdb.import`` (default: the command line).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    """Import configuration items from a source file."""

    help = "Import configuration items from a source file (csv, excel, terraform, ...)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the sub-commands."""
        from mamori.engines.cmdb import PARSERS

        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("import", help="import a source file")
        run.add_argument("--source", required=True, choices=sorted(PARSERS))
        run.add_argument("file", help="the file to import")
        run.add_argument("--as", dest="username", help="the person importing")
        run.add_argument("--json", action="store_true", help="print the run as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        """Import, print the run, exit 1 when the file is refused."""
        from mamori.accounts.models import User
        from mamori.accounts.services.roles import has_permission
        from mamori.auditlog.context import acting
        from mamori.operations.services import cmdb_import

        by = None
        if options.get("username"):
            by = User.objects.filter(username=options["username"], is_active=True).first()
            if by is None or not has_permission(by, "cmdb.import"):
                raise CommandError(f"{options['username']} may not import configuration items")
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        actor = f"user:{by.username}" if by else "cli"
        with acting(actor):
            try:
                run = cmdb_import.import_file(options["source"], data, path.name, by, "cli")
            except cmdb_import.CmdbImportRefused as refused:
                self.stderr.write(f"refused: {path.name}")
                for problem in refused.fields:
                    self.stderr.write(f"  {problem.field}: {problem.message}")
                raise SystemExit(1) from None
        counts = {
            name: getattr(run, name)
            for name in (
                "added",
                "changed",
                "gone",
                "reappeared",
                "unchanged",
                "relations_added",
                "relations_gone",
                "relations_unchanged",
                "unknown",
            )
        }
        if options["json"]:
            self.stdout.write(
                json.dumps({"id": run.pk, "source": run.source, "sha256": run.sha256, **counts})
            )
        else:
            shown = ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in counts.items())
            self.stdout.write(f"imported {path.name} ({run.source}): {shown}")
