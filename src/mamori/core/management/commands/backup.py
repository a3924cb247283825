"""``mamori backup FILE``: the database and the data directory in one archive (SRM 9-2-1, 14)."""

from __future__ import annotations

import hashlib
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    """Write a backup of this installation."""

    help = "Back up the database and the data directory into one archive (mode 0600)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the output file."""
        parser.add_argument("output", type=Path, help="the archive to write (.tar.gz)")

    def handle(self, *args: Any, **options: Any) -> None:
        """Write the archive and say what it holds."""
        from mamori.auditlog.context import acting
        from mamori.auditlog.services import record_export
        from mamori.core.backup import BackupRefused, backup

        try:
            summary = backup(settings.CONFIG, options["output"])
        except BackupRefused as refused:
            raise CommandError(str(refused)) from None
        with acting("system:cli"):
            digest = hashlib.sha256(options["output"].read_bytes()).hexdigest()
            record_export(
                "core.backup", digest, {"database": summary.database, "files": summary.files}
            )
        self.stdout.write(
            f"wrote {options['output']} ({summary.size} bytes): the {summary.database} database "
            f"and {summary.files} file(s) of the data directory, keys included — keep it as "
            "secret as the keys themselves"
        )
