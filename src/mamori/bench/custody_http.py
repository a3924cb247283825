"""The HTTP part of the custody benchmark: a real ``mamori serve`` (SQLite or PostgreSQL) and
an open-loop client in a process of its own (:mod:`mamori.bench.load`) sending
``POST /api/custody/withdrawals/check`` at fixed rates.

Each rate is held for a while; latency runs from the moment a request was due to the last byte
of its answer. Figures: p99 at 1,000 requests/s, and the highest rate of a ramp whose p99 stays
within 10 ms while the client kept up (≥ 95 % of the target rate, no failed request) — and,
stricter, the highest rate up to which every step did (a step of 10 s is noisy: one slow
step below a fast one shows in the second figure). The client runs on the same machine as the
server, as on a 2-core host.
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
import time
from pathlib import Path
from typing import Any

from mamori.core import children

__all__ = ["measure"]

RAMP = (250, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 5000, 6000)

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


def _env(database_url: str | None, fastpath: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    if not fastpath:
        env["MAMORI_CUSTODY_FASTPATH"] = "0"  # every check through Django's endpoint
    if database_url:
        env["MAMORI_DATABASE_URL"] = database_url
    return env


def _mamori(data_dir: Path, *args: str, database_url: str | None = None) -> str:
    env = _env(database_url)
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


def _run_at(port: int, token: str, rate: int, seconds: float, first: int) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [
            sys.executable,
            "-m",
            "mamori.bench.load",
            "--port",
            str(port),
            "--token",
            token,
            "--rate",
            str(rate),
            "--seconds",
            str(seconds),
            "--first",
            str(first),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds * 4 + 120,
    )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def measure(
    seconds_at_1000: float = 60.0,
    ramp_seconds: float = 10.0,
    workers: int = 1,
    database_url: str | None = None,
    fastpath: bool = True,
    ramp_up: bool = True,
) -> dict[str, Any]:
    """Start a server (on SQLite, or on the empty PostgreSQL database at ``database_url``;
    without ``fastpath``, every check through Django's endpoint), hold 1,000 requests/s, then
    ramp (with ``ramp_up``); return the figures."""
    with tempfile.TemporaryDirectory(prefix="mamori-bench-http-") as tmp:
        data = Path(tmp)
        _mamori(data, "migrate", database_url=database_url)
        _mamori(data, "shell", "-c", SETUP, database_url=database_url)
        token = _mamori(
            data,
            "token",
            "create",
            "--name",
            "bench",
            "--scope",
            "custody:check",
            database_url=database_url,
        )
        secret = token.strip().splitlines()[-1].split()[-1]
        port = _free_port()
        env = _env(database_url, fastpath)
        server = children.popen(  # ends with the bench, however it ends
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
                str(workers),
                "--no-access-log",
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
            _run_at(port, secret, 200, 3.0, 0)  # warm the server: imports, caches, threads
            at_1000 = _run_at(port, secret, 1000, seconds_at_1000, 1)
            ramp = []
            best = steady = 0
            unbroken = True
            for n, rate in enumerate(RAMP if ramp_up else (), start=2):
                result = _run_at(port, secret, rate, ramp_seconds, n)
                ramp.append(result)
                kept_up = result["achieved"] >= 0.95 * rate and not result["failures"]
                held = kept_up and result["p99_ms"] <= 10
                if held:
                    best = rate
                unbroken = unbroken and held
                if unbroken:
                    steady = rate  # every step up to this one held
                if result["p99_ms"] > 1000:
                    break  # far beyond what the server can take
        finally:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    return {
        "at_1000": at_1000,
        "ramp": ramp,
        "max_rps_p99_10ms": best,
        "steady_rps_p99_10ms": steady,
        "workers": workers,
        "database": "postgresql" if database_url else "sqlite",
    }
