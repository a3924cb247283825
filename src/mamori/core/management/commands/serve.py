"""``mamori serve``: the production ASGI server (uvicorn)."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from mamori.core import server


class Command(BaseCommand):
    """Serve mamori with uvicorn."""

    help = "Serve mamori with the production ASGI server (uvicorn)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare host, port, workers and the access log."""
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument(
            "--no-access-log",
            action="store_true",
            help="do not log a line per request (a proxy in front keeps them)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Check the database is migrated, then serve."""
        server.ensure_migrated()
        server.run(
            options["host"],
            options["port"],
            options["workers"],
            access_log=not options["no_access_log"],
        )
