"""``mamori custody replay FILE | apply-thresholds | halts | decider``: custody from the shell."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    """Replay a file of events, apply thresholds, list halts."""

    help = "Replay events through the custody monitor; apply thresholds; list active halts."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the sub-commands."""
        sub = parser.add_subparsers(dest="action", required=True)
        replay = sub.add_parser("replay", help="decide every event of a JSON Lines file")
        replay.add_argument("path", type=Path)
        sub.add_parser("apply-thresholds", help="make the configured thresholds effective")
        sub.add_parser("halts", help="list the active halts")
        decider = sub.add_parser(
            "decider",
            help="decide withdrawal checks sent by the web workers (mamori serve starts it)",
        )
        decider.add_argument("--socket", type=Path, required=True, help="the Unix socket")

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the sub-command."""
        from mamori.auditlog.context import acting

        if options["action"] == "decider":  # each check is recorded as the token that asked
            from mamori.custody.decider import serve

            serve(options["socket"])
            return

        with acting("system:cli"):
            getattr(self, "_" + options["action"].replace("-", "_"))(options)

    def _replay(self, options: dict[str, Any]) -> None:
        from mamori.custody.services import inbound, monitor

        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        events, problems = [], []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                events.append(inbound.parse(json.loads(line)))
            except (ValueError, TypeError) as exc:
                problems.append(f"{path}:{number}: {exc}")
        if problems:  # all or nothing: nothing is decided while any line is bad
            raise CommandError(
                "\n".join([f"{len(problems)} bad line(s), nothing replayed:", *problems])
            )
        counts: dict[str, int] = {}
        for event in events:
            decision = monitor.decide(event)
            counts[str(decision.action)] = counts.get(str(decision.action), 0) + 1
            if decision.reasons:
                codes = ", ".join(r.code for r in decision.reasons)
                self.stdout.write(f"{event.id}: {decision.action} ({codes})")
        self.stdout.write(
            f"{len(events)} events: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )

    def _apply_thresholds(self, options: dict[str, Any]) -> None:
        from mamori.custody.services import monitor
        from mamori.engines.threshold import ConfigError

        try:
            config = monitor.apply_thresholds()
        except ConfigError as exc:
            raise CommandError(f"thresholds refused, nothing changed: {exc}") from None
        self.stdout.write(
            f"{len(config.rules)} thresholds over {len(config.assets)} assets in effect"
        )

    def _halts(self, options: dict[str, Any]) -> None:
        from mamori.custody.models import Halt

        for halt in Halt.objects.filter(lifted_at__isnull=True).order_by("started_at"):
            self.stdout.write(
                f"{halt.halt_id}: {halt.scope} {halt.key} since {halt.started_at:%Y-%m-%d %H:%M} "
                f"(rule {halt.rule}, event {halt.event_id})"
            )
