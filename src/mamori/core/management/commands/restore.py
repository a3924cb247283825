"""``mamori restore FILE``: an archive of ``mamori backup`` into a new installation."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    """Restore a backup into an empty data directory (and an empty database)."""

    help = "Restore a backup made by `mamori backup` into an empty data directory."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the archive."""
        parser.add_argument("archive", type=Path, help="the archive `mamori backup` wrote")

    def handle(self, *args: Any, **options: Any) -> None:
        """Check every member's digest, then restore."""
        from mamori.core.backup import BackupRefused, restore

        try:
            summary = restore(options["archive"], settings.CONFIG)
        except BackupRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(
            f"restored the {summary.database} database and {summary.files} file(s) into "
            f"{settings.CONFIG.data_dir}; next: `mamori migrate` (for a newer mamori), then "
            "`mamori log verify` against a checkpoint kept outside"
        )
