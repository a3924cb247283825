"""``mamori demo``: migrate an embedded database, load the demo exchange and serve it."""

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from mamori.core import server
from mamori.core.demo import load_demo

DEMO_MARKER = ".demo"


class Command(BaseCommand):
    """Prepare and serve the demo exchange."""

    help = "Create the demo exchange in the data directory and serve it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare host, port and whether to serve."""
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-serve", action="store_true", help="Prepare the data, print, and exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Migrate, load, print how to sign in, serve."""
        config = settings.CONFIG
        (config.data_dir / DEMO_MARKER).write_text("demo data directory\n", encoding="utf-8")
        call_command("migrate", interactive=False, verbosity=0)
        report = load_demo()
        from mamori.accounts.demo import DEMO_PASSWORD

        out = self.stdout.write
        out(f"mamori demo — data directory: {config.data_dir}")
        out(f"database: {config.database_url}")
        out("")
        out(f"Open http://{options['host']}:{options['port']}/ and sign in.")
        out(f"Every demo account's password: {DEMO_PASSWORD}")
        out("Second factor: add the TOTP secret to an authenticator app, or print the")
        out("current code with `uv run mamori demo-code USER`.")
        out("")
        out(f"  {'user':<10} {'TOTP secret':<34} roles")
        for username, roles, secret in report.accounts:
            out(f"  {username:<10} {secret:<34} {roles}")
        for line in report.lines:
            out(line)
        out("")
        if options["no_serve"]:
            return
        from mamori.scheduler import exportjobs
        from mamori.scheduler.services import start_in_process

        start_in_process()
        exportjobs.start_in_process()
        out("Scheduled jobs and exports run in this process, each in a thread of its own")
        out("(production: `mamori worker`).")
        server.run(options["host"], options["port"], workers=1)
