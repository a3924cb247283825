"""``mamori heartbeat CODE``: a batch job says it ran (SRM 21-1).

Records the heartbeat in the database this installation uses; with ``--url`` (or
``MAMORI_URL``) it posts to ``/api/operations/heartbeats/CODE`` of that mamori instead, with the
token of scope ``monitoring:heartbeat`` in ``--token`` or ``MAMORI_TOKEN``. Exits 1 when the
heartbeat is unknown or the post fails, so the job's own run shows it.
"""

from __future__ import annotations

import json
import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    """Record a batch job's heartbeat."""

    help = "Record that the batch job of heartbeat CODE ran now."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the code and where to send it."""
        parser.add_argument("code", help="the heartbeat's code")
        parser.add_argument("--url", default=os.environ.get("MAMORI_URL", ""), help="mamori's URL")
        parser.add_argument(
            "--token",
            default=os.environ.get("MAMORI_TOKEN", ""),
            help="a token of scope monitoring:heartbeat (with --url)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Beat locally or through the API; print the service's state."""
        code = options["code"]
        if options["url"]:
            import httpx

            url = f"{options['url'].rstrip('/')}/api/operations/heartbeats/{code}"
            try:
                answer = httpx.post(
                    url, headers={"Authorization": f"Bearer {options['token']}"}, timeout=30
                )
            except httpx.HTTPError as exc:
                raise CommandError(f"heartbeat {code}: {exc}") from None
            if answer.status_code != 200:
                raise CommandError(f"heartbeat {code}: HTTP {answer.status_code} {answer.text}")
            self.stdout.write(json.dumps(answer.json(), ensure_ascii=False))
            return
        from mamori.core.errors import Refused
        from mamori.operations.services import monitoring_checks

        try:
            found = monitoring_checks.beat(code)
        except Refused as refused:
            raise CommandError(refused.shown()) from None
        self.stdout.write(f"{found.code}: {found.service.code} {found.service.state}")
