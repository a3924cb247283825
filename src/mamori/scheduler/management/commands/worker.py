"""``mamori worker``: run scheduled jobs and event-bus consumers until stopped, and build the
exports people ask for in a thread of their own (a long PDF never holds a slot back)."""

from __future__ import annotations

import logging
import signal
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from mamori.events.bus import get_bus
from mamori.events.responders import Responders, responders
from mamori.scheduler import exportjobs, services

log = logging.getLogger("mamori.worker")


def _start_responders() -> Responders | None:
    """Answer the registered NATS requests (the pre-sign check) when NATS is configured."""
    url = settings.CONFIG.nats_url
    if not url or not responders():
        return None
    try:
        return Responders(url).start()
    except (OSError, TimeoutError) as exc:  # the broker is away: the HTTP API still answers
        log.warning("NATS responders not started: %s", exc)
        return None


class Command(BaseCommand):
    """Run the scheduler loop."""

    help = "Run scheduled jobs every few seconds until interrupted (--once: a single tick)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the interval and --once."""
        parser.add_argument("--interval", type=float, default=5.0)
        parser.add_argument("--once", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        """Tick until SIGTERM/SIGINT."""
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        worker = services.worker_id()
        self.stdout.write(f"mamori worker {worker} started")
        exports = None if options["once"] else exportjobs.start_in_process()
        answering = None if options["once"] else _start_responders()
        while True:
            for run in services.tick(worker=worker):
                self.stdout.write(f"{run.job} {run.slot:%Y-%m-%d %H:%M:%S} {run.status}")
            try:
                handled = get_bus().consume(100, 0.5)
            except (TimeoutError, OSError) as exc:  # the broker is slow or away: try again
                log.warning("event bus: %s", exc)
                handled = 0
            if handled:
                self.stdout.write(f"handled {handled} event(s)")
            close_old_connections()
            if options["once"] or stop.wait(services.until_next_tick(options["interval"])):
                break
        if exports is not None:
            exports.set()
        if answering is not None:
            answering.stop()
