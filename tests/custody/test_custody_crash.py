"""kill -9 of the API server (two workers) mid-burst: no acknowledged decision lost or
changed, none repeated, after a restart and a resend of everything; kill -9 of its leading
custody decider: the standby takes over, every check still answered, the process replaced."""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from mamori.bench.failover import SETUP
from tests.installs import Installs
from tests.peers import free_port, mamori_in


def serve(data_dir: Path, port: int, workers: int = 2) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mamori",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1)
            return process
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    process.kill()
    raise AssertionError("the server did not start")


def check(port: int, token: str, n: int) -> tuple[str, str] | None:
    body = json.dumps(
        {
            "request_id": f"r{n}",
            "customer": f"c{n % 7}",
            "asset": "TST",
            "amount": str(10 + n % 50),
            "address": f"tst-{n % 7}",
        }
    ).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/custody/withdrawals/check",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            decision = json.loads(response.read())
    except (urllib.error.URLError, http.client.HTTPException, OSError):
        return None  # the server died before answering: nothing was acknowledged
    return decision["action"], ",".join(r["code"] for r in decision["reasons"])


def test_kill_9_during_a_burst_over_http(tmp_path: Path, installs: Installs) -> None:
    installs.migrated(tmp_path)
    mamori_in(tmp_path, "shell", "-c", SETUP)
    token = mamori_in(tmp_path, "token", "create", "--name", "gw", "--scope", "custody:check")
    secret = token.stdout.strip().splitlines()[-1].split()[-1]
    port = free_port()
    server = serve(tmp_path, port)
    total = 600
    acknowledged: dict[int, tuple[str, str]] = {}
    lock = threading.Lock()

    def client(start: int) -> None:
        for n in range(start, total, 4):
            answer = check(port, secret, n)
            if answer is None:
                return
            with lock:
                acknowledged[n] = answer

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while len(acknowledged) < 150:
        assert time.monotonic() < deadline, f"only {len(acknowledged)} checks answered"
        time.sleep(0.01)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait()
    for thread in threads:
        thread.join()
    assert 150 <= len(acknowledged) < total, "the kill must land mid-burst"

    server = serve(tmp_path, port)
    try:
        final = {n: check(port, secret, n) for n in range(total)}
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    assert all(v is not None for v in final.values())
    changed = {n: (a, final[n]) for n, a in acknowledged.items() if final[n] != a}
    assert changed == {}
    with sqlite3.connect(tmp_path / "mamori.sqlite3") as db:
        rows = db.execute(
            "SELECT event_id, COUNT(*) FROM custody_monitorrecord WHERE kind = 'event' "
            "GROUP BY event_id HAVING COUNT(*) > 1"
        ).fetchall()
        count = db.execute(
            "SELECT COUNT(*) FROM custody_monitorrecord WHERE kind = 'event'"
        ).fetchone()[0]
    assert rows == [] and count == total
    assert any("threshold.notify" in v[1] for v in final.values() if v)


def deciders(session: int) -> list[int]:
    """Return the pids of the custody decider processes in the server's session."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if b"decider" in command and b"custody" in command and int(stat[3]) == session:
            found.append(int(entry.name))
    return found


def test_a_killed_leading_decider_is_replaced_and_every_check_is_answered(
    tmp_path: Path, installs: Installs
) -> None:
    installs.migrated(tmp_path)
    mamori_in(tmp_path, "shell", "-c", SETUP)
    token = mamori_in(tmp_path, "token", "create", "--name", "gw", "--scope", "custody:check")
    secret = token.stdout.strip().splitlines()[-1].split()[-1]
    port = free_port()
    server = serve(tmp_path, port, workers=1)
    try:
        started = deciders(server.pid)
        assert len(started) == 2  # a leader and a standby
        with sqlite3.connect(tmp_path / "mamori.sqlite3") as db:
            (holder,) = db.execute("SELECT holder FROM custody_deciderlease").fetchone()
        first = int(holder.rsplit(":", 1)[1])
        assert first in started
        total = 400
        answers: dict[int, tuple[str, str] | None] = {}

        def client(start: int) -> None:
            for n in range(start, total, 4):
                answers[n] = check(port, secret, n)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while len(answers) < 100:
            assert time.monotonic() < deadline, f"only {len(answers)} checks answered"
            time.sleep(0.01)
        os.kill(first, signal.SIGKILL)
        for thread in threads:
            thread.join()
        assert len(answers) == total and all(a is not None for a in answers.values())
        deadline = time.monotonic() + 30
        while not [pid for pid in deciders(server.pid) if pid not in started]:
            assert time.monotonic() < deadline, "the decider process was not replaced"
            time.sleep(0.2)
        again = {n: check(port, secret, n) for n in range(0, total, 7)}
        assert all(again[n] == answers[n] for n in again)  # resends: the first decisions
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    with sqlite3.connect(tmp_path / "mamori.sqlite3") as db:
        counts = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM custody_monitorrecord "
            "WHERE kind = 'event'"
        ).fetchone()
    assert counts == (total, total)  # every check decided, and only once


def test_the_decider_stops_when_its_server_is_killed(tmp_path: Path, installs: Installs) -> None:
    """kill -9 of the server alone (not its process group): the decider it started does not
    linger, holding the database and the socket, once nothing can use it."""
    installs.migrated(tmp_path)
    port = free_port()
    server = serve(tmp_path, port, workers=1)
    try:
        started = deciders(server.pid)
        assert len(started) == 2  # a leader and a standby
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        deadline = time.monotonic() + 15
        for decider in started:
            while Path(f"/proc/{decider}").exists() and _state(decider) != "Z":
                assert time.monotonic() < deadline, "an orphaned decider kept running"
                time.sleep(0.1)
    finally:
        os.killpg(server.pid, signal.SIGKILL)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "X"
