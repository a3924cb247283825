"""The real Prometheus Alertmanager (Debian's prometheus-alertmanager) sends a firing then a
resolved alert to mamori's webhook with a bearer token (SRM 21-1): mamori opens the service's
incident, then notes its resolution and brings the service back up."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mamori.testing.pytest_plugin import services_required
from tests.operations.monitoring_world import rule, service, token

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BINARY = "/usr/bin/prometheus-alertmanager"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def alertmanager(server, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Alertmanager with a webhook receiver pointing at the live mamori; yield its URL and
    the token it sends."""
    binary = shutil.which("prometheus-alertmanager") or BINARY
    if not Path(binary).exists():
        message = (
            f"Alertmanager is not installed at {BINARY} (Debian package prometheus-alertmanager)"
        )
        if services_required():
            pytest.fail(message + " and MAMORI_REQUIRE_SERVICES=1", pytrace=False)
        pytest.skip(message)
    secret = token("monitoring:alerts")
    config = {
        "global": {"resolve_timeout": "5s"},
        "route": {
            "receiver": "mamori",
            "group_by": ["alertname", "service"],
            "group_wait": "1s",
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [
            {
                "name": "mamori",
                "webhook_configs": [
                    {
                        "url": f"{server.url}/api/operations/alertmanager",
                        "send_resolved": True,
                        "http_config": {"authorization": {"type": "Bearer", "credentials": secret}},
                    }
                ],
            }
        ],
    }
    (tmp_path / "alertmanager.yml").write_text(json.dumps(config))  # JSON is YAML
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'alertmanager.yml'}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "alertmanager.log").open("w"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    log = (tmp_path / "alertmanager.log").read_text()
                    pytest.fail(f"Alertmanager did not start: {log[-2000:]}", pytrace=False)
                time.sleep(0.2)
        yield url, secret
    finally:
        process.terminate()
        process.wait(timeout=10)


def _post_alert(url: str, starts: datetime, ends: datetime | None) -> None:
    alert = {
        "labels": {"alertname": "OrderApiDown", "service": "order-api", "severity": "critical"},
        "annotations": {"summary": "order API answers 503"},
        "startsAt": starts.isoformat().replace("+00:00", "Z"),
    }
    if ends is not None:
        alert["endsAt"] = ends.isoformat().replace("+00:00", "Z")
    request = urllib.request.Request(
        f"{url}/api/v2/alerts",
        data=json.dumps([alert]).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def _until(check, seconds: float = 45) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail("Alertmanager's webhook did not arrive in time", pytrace=False)
        time.sleep(0.25)


def test_alertmanager_firing_then_resolved_opens_then_notes_the_service_incident(
    alertmanager,
) -> None:
    from mamori.operations.models import Alert, Incident

    url, _secret = alertmanager
    api = service()
    rule(api)
    starts = datetime.now(UTC) - timedelta(seconds=5)
    _post_alert(url, starts, None)
    _until(lambda: Incident.objects.exists())
    api.refresh_from_db()
    assert api.state == "down"
    incident = Incident.objects.get()
    assert "order-api" in incident.title and incident.severity == "S2"
    _post_alert(url, starts, datetime.now(UTC))
    _until(lambda: Alert.objects.filter(status="resolved").exists())
    api.refresh_from_db()
    assert api.state == "up"
    incident.refresh_from_db()
    assert incident.status != "closed"
    assert any("resolved" in entry.text for entry in incident.timeline.all())
    assert Incident.objects.count() == 1 and Alert.objects.count() == 1
