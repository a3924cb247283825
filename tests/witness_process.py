"""Run ``mamori witness serve`` as a real process on a free port (shared by the tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class RunningWitness:
    url: str
    verifier: str
    state: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _mamori(*args: str) -> list[str]:
    return [sys.executable, "-m", "mamori", "witness", *args]


@contextmanager
def witness_process(
    folder: Path, *log_verifiers: str, name: str = "witness.test/w1"
) -> Iterator[RunningWitness]:
    """Start a witness with its own key file and state directory; stop it afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / "witness.key"
    if not key.exists():
        subprocess.run(
            _mamori("keygen", "--name", name, "--key", str(key)), check=True, capture_output=True
        )
    verifier = subprocess.run(
        _mamori("key", "--key", str(key)), check=True, capture_output=True, text=True
    ).stdout.strip()
    port = _free_port()
    args = ["serve", "--key", str(key), "--state", str(folder / "state"), "--port", str(port)]
    for log_verifier in log_verifiers:
        args += ["--log", log_verifier]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAMORI_", "DJANGO_"))}
    process = subprocess.Popen(
        _mamori(*args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/0/checkpoint", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the witness did not start: {process.stderr.read()}")
                time.sleep(0.1)
        yield RunningWitness(url, verifier, folder / "state")
    finally:
        process.terminate()
        process.wait(timeout=10)
