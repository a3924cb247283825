"""The HTTP part of the custody benchmark: a real ``mamori serve`` (SQLite, two workers) and a
paced client sending ``POST /api/custody/withdrawals/check`` at fixed rates.

Each rate is held for a while with requests spread evenly over client threads; latency is
measured per request from send to full response. Figures: p99 at 1,000 requests/s, and the
highest rate of a ramp whose p99 stays within 10 ms while the client kept up (≥ 95 % of the
target rate). The client runs on the same machine as the server, as on a 2-core host.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["measure"]

SETUP = """
from mamori.custody.models import Asset, ThresholdRule
from mamori.custody.services import monitor
asset = Asset.objects.create(
    code="TST", name="Test", chain="test", decimals=0, unknown_address="allow"
)
for code, scope, level, limit, window in (
    ("single", "single", "hold", 10**12, None),
    ("customer", "customer", "hold", 10**12, 86400),
    ("all", "all", "halt", 10**15, 3600),
):
    ThresholdRule.objects.create(code=code, direction="withdrawal", scope=scope, level=level,
                                 asset=asset, limit_units=limit, window_seconds=window)
monitor.apply_thresholds()
"""


def _mamori(data_dir: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    done = subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "mamori", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=300,
    )
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_at(port: int, token: str, rate: int, seconds: float, first: int) -> dict[str, float]:
    threads = max(4, min(32, rate // 40))
    per_thread = rate / threads
    latencies: list[float] = []
    sent = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        interval = 1.0 / per_thread
        due = time.perf_counter() + index * interval / threads
        n = 0
        while due < deadline:
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            body = json.dumps(
                {
                    "request_id": f"h{first}-{index}-{n}",
                    "customer": f"c{(index * 7919 + n) % 100000}",
                    "asset": "TST",
                    "amount": str(1 + n % 1000),
                    "address": "tst-destination",
                }
            )
            t0 = time.perf_counter()
            connection.request(
                "POST",
                "/api/custody/withdrawals/check",
                body,
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                sent[0] += 1
            n += 1
            due += interval
        connection.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    took = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("inf")
    return {"rate": rate, "achieved": sent[0] / took, "p99_ms": p99 * 1000, "requests": sent[0]}


def measure(seconds_at_1000: float = 60.0, ramp_seconds: float = 10.0) -> dict[str, Any]:
    """Start a server, hold 1,000 requests/s, then ramp; return the figures."""
    with tempfile.TemporaryDirectory(prefix="mamori-bench-http-") as tmp:
        data = Path(tmp)
        _mamori(data, "migrate")
        _mamori(data, "shell", "-c", SETUP)
        token = _mamori(data, "token", "create", "--name", "bench", "--scope", "custody:check")
        secret = token.strip().splitlines()[-1].split()[-1]
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
        server = subprocess.Popen(  # noqa: S603 - our own command, fixed arguments
            [
                sys.executable,
                "-m",
                "mamori",
                "serve",
                "--data-dir",
                str(data),
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        try:
            for _ in range(300):
                try:
                    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                    probe.request("GET", "/api/health")
                    probe.getresponse().read()
                    break
                except OSError:
                    time.sleep(0.2)
            _run_at(port, secret, 50, 2.0, 0)  # warm both workers
            at_1000 = _run_at(port, secret, 1000, seconds_at_1000, 1)
            ramp = []
            best = 0
            for n, rate in enumerate((50, 100, 200, 300, 500, 750, 1000), start=2):
                result = _run_at(port, secret, rate, ramp_seconds, n)
                ramp.append(result)
                if result["p99_ms"] <= 10 and result["achieved"] >= 0.95 * rate:
                    best = rate
        finally:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    return {"at_1000": at_1000, "ramp": ramp, "max_rps_p99_10ms": best}
