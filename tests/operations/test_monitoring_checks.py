"""Probes mamori's worker runs and heartbeats batch jobs push (SRM 21-1): a stopped server is
seen down within two intervals and up again once it answers; a heartbeat that misses its window
puts its service down and its next beat brings it up; the reconciliation run beats its own."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from mamori.events.bus import Event
from mamori.operations.models import Heartbeat, Probe, ProbeResult
from mamori.operations.services import monitoring_checks
from tests.operations.monitoring_world import bearer, service

pytestmark = pytest.mark.django_db


class _Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Stay quiet."""


def _serve(port: int = 0) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), _Healthy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def http_server() -> Iterator[ThreadingHTTPServer]:
    server = _serve()
    yield server
    server.shutdown()
    server.server_close()


def test_a_probe_sees_a_stopped_http_server_down_within_two_intervals_and_up_again(
    http_server,
) -> None:
    api = service()
    port = http_server.server_address[1]
    probe = Probe.objects.create(
        service=api,
        target=f"http://127.0.0.1:{port}/healthz",
        interval_seconds=10,
        timeout_seconds=2,
        expected_body='"ok"',
        failures_before_down=2,
    )
    now = timezone.now()
    assert monitoring_checks.run_due_probes(now) == {"ran": 1, "failed": 0}
    api.refresh_from_db()
    assert api.state == "up"
    assert monitoring_checks.run_due_probes(now + timedelta(seconds=3))["ran"] == 0  # not due
    http_server.shutdown()
    http_server.server_close()
    for interval in (1, 2):
        monitoring_checks.run_due_probes(now + timedelta(seconds=10 * interval))
    api.refresh_from_db()
    assert api.state == "down"
    assert "probe" in api.states.get(ended_at__isnull=True).cause
    again = _serve(port)
    try:
        monitoring_checks.run_due_probes(now + timedelta(seconds=30))
    finally:
        again.shutdown()
        again.server_close()
    api.refresh_from_db()
    assert api.state == "up"
    assert [r.ok for r in ProbeResult.objects.filter(probe=probe).order_by("at")] == [
        True,
        False,
        False,
        True,
    ]


def test_a_probe_expecting_text_the_body_lacks_fails(http_server) -> None:
    api = service()
    probe = Probe.objects.create(
        service=api,
        target=f"http://127.0.0.1:{http_server.server_address[1]}/",
        expected_body="matching",
        failures_before_down=1,
    )
    result = monitoring_checks.run_probe(probe)
    assert not result.ok and "matching" in result.detail
    api.refresh_from_db()
    assert api.state == "down"


def test_a_tcp_probe_connects_or_fails() -> None:
    api = service()
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        probe = Probe.objects.create(
            service=api, kind="tcp", target=f"127.0.0.1:{port}", failures_before_down=1
        )
        assert monitoring_checks.run_probe(probe).ok
    assert not monitoring_checks.run_probe(probe).ok
    api.refresh_from_db()
    assert api.state == "down"


def test_a_heartbeat_missing_its_window_turns_its_service_down_until_it_beats() -> None:
    api = service("nightly-batch")
    Heartbeat.objects.create(code="nightly-export", service=api, window_seconds=60)
    monitoring_checks.beat("nightly-export")
    api.refresh_from_db()
    assert api.state == "up"
    assert monitoring_checks.check_heartbeats()["missed"] == 0
    later = timezone.now() + timedelta(seconds=61)
    assert monitoring_checks.check_heartbeats(later)["missed"] == 1
    api.refresh_from_db()
    assert api.state == "down"
    assert "missed" in api.states.get(ended_at__isnull=True).cause
    out = StringIO()
    call_command("heartbeat", "nightly-export", stdout=out)
    assert "nightly-batch up" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("heartbeat", "no-such-job", stdout=out)


def test_a_batch_job_beats_through_the_api_with_its_scope() -> None:
    api = service("nightly-batch")
    Heartbeat.objects.create(code="nightly-export", service=api, window_seconds=60)
    answer = bearer("monitoring:heartbeat").post("/api/operations/heartbeats/nightly-export")
    assert answer.status_code == 200, answer.content
    assert answer.json()["state"] == "up"
    assert bearer("monitoring:heartbeat").post("/api/operations/heartbeats/x").status_code == 404
    assert bearer("monitoring:alerts").post("/api/operations/heartbeats/x").status_code == 403


def test_a_finished_reconciliation_run_counts_as_its_heartbeat() -> None:
    from mamori.operations.registrations_monitoring import (
        RECONCILIATION,
        _reconciliation_finished,
    )

    api = service("reconciliation")
    Heartbeat.objects.create(code=RECONCILIATION, service=api, window_seconds=86400 + 3600)
    at = timezone.now()
    _reconciliation_finished(
        Event("mamori.reconciliation.run_finished", "reconciliation-run-1", {"run": 1}, at)
    )
    beat = Heartbeat.objects.get(code=RECONCILIATION)
    assert beat.last_seen == at
    assert monitoring_checks.check_heartbeats(at + timedelta(days=2))["missed"] == 1


def test_the_custody_deciders_journal_counts_as_its_heartbeat() -> None:
    from mamori.custody.models import MonitorRecord
    from mamori.operations.registrations_monitoring import CUSTODY_DECIDER

    api = service("custody-decider")
    Heartbeat.objects.create(code=CUSTODY_DECIDER, service=api, window_seconds=300)
    at = timezone.now()
    MonitorRecord.objects.create(kind="event", event_id="dep-1", row={}, recorded_at=at)
    monitoring_checks.check_heartbeats(at + timedelta(seconds=10))
    api.refresh_from_db()
    assert Heartbeat.objects.get(code=CUSTODY_DECIDER).last_seen == at and api.state == "up"
    monitoring_checks.check_heartbeats(at + timedelta(seconds=301))
    api.refresh_from_db()
    assert api.state == "down"


def test_the_worker_runs_probes_and_heartbeat_checks_as_registered_jobs(http_server) -> None:
    from mamori.scheduler.jobs import get_job

    api = service()
    Probe.objects.create(service=api, target=f"http://127.0.0.1:{http_server.server_address[1]}/")
    assert get_job("operations.monitoring_probes").func() == {"ran": 1, "failed": 0}
    assert get_job("operations.monitoring_heartbeats").func() == {"checked": 0, "missed": 0}
    api.refresh_from_db()
    assert api.state == "up"


class _Slow(_Healthy):
    def do_GET(self) -> None:
        import time

        time.sleep(1.5)
        super().do_GET()


def test_slow_targets_are_probed_at_once_so_none_holds_back_the_others() -> None:
    import time

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Slow) for _ in range(3)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        api = service()
        for server in servers:
            Probe.objects.create(
                service=api,
                target=f"http://127.0.0.1:{server.server_address[1]}/healthz",
                interval_seconds=15,
                timeout_seconds=5,
            )
        Probe.objects.create(service=api, target="http://a\x7fb/", interval_seconds=15)
        started = time.monotonic()
        ran = monitoring_checks.run_due_probes()
        took = time.monotonic() - started
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    assert ran == {"ran": 4, "failed": 1}  # the malformed target fails alone, named
    assert took < 4.0, took  # one after another: 4.5 s at least
    assert "InvalidURL" in ProbeResult.objects.get(ok=False).detail
