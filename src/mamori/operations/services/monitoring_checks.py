"""Probes mamori runs and heartbeats batch jobs push (SRM 21-1: monitor at all times).

:func:`run_due_probes` (a scheduler job) runs every active probe whose interval has passed:
an HTTP GET expecting a status and, when set, a text in the body, or a TCP connect. A probe
that fails ``failures_before_down`` times in a row puts its service down; one success puts it
back. :func:`beat` records a heartbeat; :func:`check_heartbeats` (a job) puts the service of a
heartbeat that missed its window down. Feeds inside mamori (the reconciliation run, the custody
decider) beat through hooks their apps' registrations connect, or through :func:`register_feed`.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from mamori.core.errors import Refused
from mamori.operations.models import Heartbeat, Probe, ProbeResult
from mamori.operations.services import monitoring

__all__ = [
    "HeartbeatRefused",
    "beat",
    "check_heartbeats",
    "probe_once",
    "register_feed",
    "run_due_probes",
    "run_probe",
]

#: The most of a body read to look for the expected text.
BODY_LIMIT = 1_000_000
#: How many probes run at once: each waits on the network, so a slow or dead target (up to
#: its timeout) does not hold back the others past their interval.
CONCURRENT_PROBES = 16

_FEEDS: dict[str, Callable[[], datetime | None]] = {}


class HeartbeatRefused(Refused):
    """A heartbeat refused: no heartbeat has that code."""


def probe_once(probe: Probe) -> tuple[bool, int, str]:
    """Run ``probe`` once; return (ok, elapsed ms, what went wrong or the status)."""
    started = time.monotonic()
    try:
        if probe.kind == Probe.Kind.TCP:
            host, _sep, port = probe.target.rpartition(":")
            with socket.create_connection((host.strip("[]"), int(port)), probe.timeout_seconds):
                ok, detail = True, "connected"
        else:
            ok, detail = _http(probe)
    except (OSError, ValueError, httpx.HTTPError, httpx.InvalidURL) as exc:
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    return ok, int((time.monotonic() - started) * 1000), detail[:300]


def _http(probe: Probe) -> tuple[bool, str]:
    with httpx.stream(
        "GET",
        probe.target,
        timeout=probe.timeout_seconds,
        headers={"User-Agent": "mamori-probe"},
    ) as answer:
        status, body = answer.status_code, b""
        for chunk in answer.iter_bytes():
            body += chunk
            if len(body) >= BODY_LIMIT:
                break
    if status != probe.expected_status:
        return False, f"expected HTTP {probe.expected_status}, got {status}"
    if probe.expected_body and probe.expected_body not in body.decode("utf-8", "replace"):
        return False, f"expected {probe.expected_body!r} in the body, got none"
    return True, f"HTTP {status}"


def run_probe(probe: Probe, now: datetime | None = None) -> ProbeResult:
    """Run ``probe``, keep its result (the latest :attr:`ProbeResult.KEEP`) and recompute its
    service's state."""
    return _keep(probe, probe_once(probe), now or timezone.now())


def _keep(probe: Probe, outcome: tuple[bool, int, str], at: datetime) -> ProbeResult:
    ok, elapsed, detail = outcome
    with transaction.atomic():
        result = ProbeResult.objects.create(
            probe=probe, at=at, ok=ok, elapsed_ms=elapsed, detail=detail
        )
        probe.consecutive_failures = 0 if ok else probe.consecutive_failures + 1
        probe.last_run_at = at
        probe.save(update_fields=["consecutive_failures", "last_run_at"])
        old = probe.results.order_by("-at", "-pk").values_list("pk", flat=True)[ProbeResult.KEEP :]
        ProbeResult.objects.filter(pk__in=list(old)).delete()
        monitoring.recompute(
            probe.service, f"probe {probe.target}: {detail}" if not ok else f"probe {probe.target}"
        )
    return result


def run_due_probes(now: datetime | None = None) -> dict[str, int]:
    """Run every active probe whose interval has passed, up to :data:`CONCURRENT_PROBES` at
    once (the network calls in threads, the results kept one after another here); return how
    many ran and failed."""
    now = now or timezone.now()
    due = [
        probe
        for probe in Probe.objects.filter(active=True).select_related("service")
        if probe.last_run_at is None
        or probe.last_run_at + timedelta(seconds=probe.interval_seconds)
        <= now + timedelta(milliseconds=500)
    ]
    if not due:
        return {"ran": 0, "failed": 0}
    workers = min(CONCURRENT_PROBES, len(due))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mamori-probe") as pool:
        outcomes = list(pool.map(probe_once, due))
    kept = [_keep(probe, outcome, now) for probe, outcome in zip(due, outcomes, strict=True)]
    failed = sum(not result.ok for result in kept)
    return {"ran": len(due), "failed": failed}


def beat(code: str, at: datetime | None = None) -> Heartbeat:
    """Record that the job of heartbeat ``code`` reported; a service it held down comes up."""
    heartbeat = Heartbeat.objects.select_related("service").filter(code=code).first()
    if heartbeat is None:
        raise HeartbeatRefused(
            "unknown_heartbeat",
            gettext("No heartbeat has the code %(code)s.") % {"code": code[:80]},
            status=404,
            fields=[("code", gettext("Unknown value."))],
        )
    with transaction.atomic():
        was_missed = heartbeat.missed
        heartbeat.last_seen = at or timezone.now()
        heartbeat.missed = False
        heartbeat.save(update_fields=["last_seen", "missed"])
        monitoring.recompute(
            heartbeat.service, f"heartbeat {code}" + (" back" if was_missed else "")
        )
    return heartbeat


def register_feed(code: str, last_seen: Callable[[], datetime | None]) -> None:
    """Let :func:`check_heartbeats` read heartbeat ``code``'s last report from ``last_seen``
    (a feed inside mamori whose own records say when it last worked)."""
    _FEEDS[code] = last_seen


def check_heartbeats(now: datetime | None = None) -> dict[str, int]:
    """Read the registered feeds, then put down the service of every heartbeat that missed
    its window; return how many were checked and missed."""
    now = now or timezone.now()
    for code, last_seen in _FEEDS.items():
        seen = last_seen()
        if seen is not None:
            heartbeat = Heartbeat.objects.filter(code=code).first()
            if heartbeat is not None and (
                heartbeat.last_seen is None or seen > heartbeat.last_seen
            ):
                beat(code, seen)
    checked = missed = 0
    for heartbeat in Heartbeat.objects.select_related("service"):
        checked += 1
        since = heartbeat.last_seen or heartbeat.watched_since
        late = since + timedelta(seconds=heartbeat.window_seconds) < now
        if late and not heartbeat.missed:
            with transaction.atomic():
                heartbeat.missed = True
                heartbeat.save(update_fields=["missed"])
                monitoring.recompute(heartbeat.service, f"heartbeat {heartbeat.code} missed")
        missed += late
    return {"checked": checked, "missed": missed}
