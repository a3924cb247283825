"""kill -9 of the JetStream consumer mid-stream: after a restart and a resend of everything,
every committed decision is unchanged and none is repeated."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from django.utils import timezone

from mamori.testing.pytest_plugin import need_service
from tests.installs import Installs
from tests.peers import mamori_in

NATS_URL = os.environ.get("MAMORI_TEST_NATS_URL", "nats://127.0.0.1:4222")
SETUP = """
from mamori.custody.models import Asset, ThresholdRule
from mamori.custody.services import monitor
asset = Asset.objects.create(
    code="TST", name="Test", chain="test", decimals=0, unknown_address="allow"
)
ThresholdRule.objects.create(code="cust", direction="withdrawal", scope="customer",
                             level="notify", asset=asset, limit_units=300, window_seconds=3600)
monitor.apply_thresholds()
"""
CONSUMER = textwrap.dedent(
    """
    import os, sys, time
    import django
    os.environ["DJANGO_SETTINGS_MODULE"] = "mamori.settings"
    django.setup()
    from mamori.events import bus
    from mamori.events.nats import NatsBus
    url, stream, prefix = sys.argv[1:4]
    bus.reset_bus(NatsBus(url, stream=stream, prefix=prefix))
    idle = 0
    while idle < 8:
        try:
            handled = bus.get_bus().consume(50, 0.5)
        except TimeoutError:  # the broker still waits for the killed consumer's acks
            handled = 0
        idle = idle + 1 if handled == 0 else 0
    """
)


def decided(data_dir: Path) -> dict[str, tuple[str, str]]:
    with sqlite3.connect(data_dir / "mamori.sqlite3") as db:
        rows = db.execute(
            "SELECT event_id, action, reasons FROM custody_monitorrecord WHERE kind = 'event'"
        ).fetchall()
    return {event_id: (action, reasons) for event_id, action, reasons in rows}


@pytest.mark.django_db
def test_kill_9_of_the_nats_consumer(tmp_path: Path, installs: Installs) -> None:
    need_service("NATS", NATS_URL)
    from mamori.events import bus
    from mamori.events.nats import NatsBus

    installs.migrated(tmp_path)
    mamori_in(tmp_path, "shell", "-c", SETUP)
    tag = uuid.uuid4().hex[:8]
    stream, prefix = f"MAMORI_K{tag}", f"k{tag}"
    producer = NatsBus(NATS_URL, stream=stream, prefix=prefix)
    producer.ensure_stream()
    total = 1500
    at = timezone.now().isoformat()

    def publish(round_: str) -> None:
        for n in range(total):
            data = {
                "type": "withdrawal",
                "id": f"n{n}",
                "at": at,
                "customer": f"c{n % 7}",
                "asset": "TST",
                "amount": str(10 + n % 50),
                "address": "tst",
            }
            producer.deliver(
                bus.Event("mamori.custody.in.withdrawal", f"{round_}-{n}", data, timezone.now())
            )

    publish("first")
    script = tmp_path / "consumer.py"
    script.write_text(CONSUMER, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    env["MAMORI_DATA_DIR"] = str(tmp_path)
    args = [sys.executable, str(script), NATS_URL, stream, prefix]
    try:
        consumer = subprocess.Popen(args, env=env, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(decided(tmp_path)) < 300:
            time.sleep(0.05)
        os.killpg(consumer.pid, signal.SIGKILL)
        consumer.wait()
        before = decided(tmp_path)
        assert 300 <= len(before) < total, "the kill must land mid-stream"

        publish("again")  # the producer resends everything under new bus ids
        subprocess.run(args, env=env, timeout=300, check=True)
        after = decided(tmp_path)
    finally:
        producer.delete_stream()
        producer.close()
    assert len(after) == total  # every event decided exactly once (event ids are unique)
    changed = {k: (v, after[k]) for k, v in before.items() if after[k] != v}
    assert changed == {}
