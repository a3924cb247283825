"""``mamori jobs list|run NAME|runs NAME``: see and run scheduled jobs by hand."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from mamori.scheduler import services
from mamori.scheduler.jobs import jobs
from mamori.scheduler.models import JobRun


class Command(BaseCommand):
    """List jobs, run one now, or show its runs."""

    help = "List scheduled jobs, run one now, or show the record of its runs."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare sub-commands."""
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list")
        run = sub.add_parser("run")
        run.add_argument("name")
        runs = sub.add_parser("runs")
        runs.add_argument("name")
        runs.add_argument("--limit", type=int, default=20)

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the sub-command."""
        if options["action"] == "list":
            now = timezone.now()
            for job in jobs():
                last = JobRun.objects.filter(job=job.name).order_by("-slot").first()
                state = f"{last.status} {last.slot:%Y-%m-%d %H:%M}" if last else "never run"
                self.stdout.write(
                    f"{job.name:<28} {job.schedule_text:<18} {state:<28} "
                    f"next {job.next_slot(now, settings.TIME_ZONE):%Y-%m-%d %H:%M:%S}"
                )
        elif options["action"] == "run":
            try:
                run = services.run_now(options["name"])
            except KeyError as exc:
                raise CommandError(str(exc.args[0])) from None
            self.stdout.write(f"{run.job} {run.status}: {run.error or run.output}")
            if run.status != JobRun.Status.SUCCEEDED:
                raise CommandError(f"{run.job} failed")
        else:
            for run in JobRun.objects.filter(job=options["name"])[: options["limit"]]:
                self.stdout.write(
                    f"{run.slot:%Y-%m-%d %H:%M:%S} {run.status:<9} {run.worker:<24} "
                    f"{run.output_sha256[:16]} {run.error}"
                )
