"""kill -9 during a burst of appends: the log verifies and no acknowledged entry is missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.core.test_config import run_mamori
from tests.installs import Installs

BURST = """
from mamori.auditlog import services
from mamori.auditlog.context import acting
import sys
with acting("system:burst"):
    for i in range(1_000_000):
        position = services.record("test.burst", "t", str(i))
        print(position, flush=True)   # acknowledged: the append has committed
"""


def burst_then_kill(env: dict[str, str], data_dir: Path) -> list[int]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mamori",
            "shell",
            "--no-imports",
            "-c",
            BURST,
            "--data-dir",
            str(data_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**inherited, **env},
    )
    acknowledged: list[int] = []
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while len(acknowledged) < 300 and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        acknowledged.append(int(line))
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert len(acknowledged) >= 300, process.stderr.read() if process.stderr else ""
    return acknowledged


def check_after_restart(env: dict[str, str], data_dir: Path, acknowledged: list[int]) -> None:
    last = max(acknowledged)
    code = (
        "from mamori.auditlog.models import Entry; "
        f"print(Entry.objects.filter(action='test.burst', position__lte={last}).count())"
    )
    counted = run_mamori("shell", "--no-imports", "-c", code, "--data-dir", str(data_dir), env=env)
    assert counted.returncode == 0, counted.stderr
    assert int(counted.stdout.strip()) == len(acknowledged)  # none lost, none doubled
    env = {**env, "MAMORI_SIGNING_KEY_DIR": str(data_dir.parent / f"{data_dir.name}-keys")}
    made = run_mamori("keys", "init", "log", "--data-dir", str(data_dir), env=env)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    checkpoint = run_mamori("log", "checkpoint", "--data-dir", str(data_dir), env=env)
    assert checkpoint.returncode == 0, checkpoint.stderr
    verified = run_mamori("log", "verify", "--key", key, "--data-dir", str(data_dir), env=env)
    assert verified.returncode == 0, verified.stderr
    assert "audit log verified" in verified.stdout


def test_kill_9_during_appends_on_sqlite(tmp_path: Path, installs: Installs) -> None:
    installs.migrated(tmp_path)
    acknowledged = burst_then_kill({}, tmp_path)
    check_after_restart({}, tmp_path, acknowledged)


@pytest.mark.postgres
def test_kill_9_during_appends_on_postgresql(
    postgres_url: str, tmp_path: Path, installs: Installs
) -> None:
    with installs.postgres(postgres_url, "mamori_crash") as url:
        env = {"MAMORI_DATABASE_URL": url}
        acknowledged = burst_then_kill(env, tmp_path)
        check_after_restart(env, tmp_path, acknowledged)
