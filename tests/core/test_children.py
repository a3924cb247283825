"""Processes a server starts end with it (issue 31): ``mamori demo`` and ``mamori serve
--workers 2``, stopped by SIGTERM or ``kill -9`` when ready and at random moments of their
start-up, leave no process behind — no custody decider, no web worker, no anvil.

Every process a trial's server starts inherits an environment variable naming the trial,
so what is left is found by walking ``/proc``; whatever a failing trial left is killed
before the test fails."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import require_anvil
from tests.installs import Installs
from tests.peers import free_port

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

TRIAL = "CHILDREN_TEST_TRIAL"
#: How long the processes a server started may outlive it.
DEADLINE = 5.0
#: How long a server may take to be ready, or to shut down after SIGTERM.
START, STOP = 120.0, 30.0


def _python(code: str, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-c", code, *args], text=True, **kwargs
    )


def _gone(pid: int) -> bool:
    """Whether ``pid`` has ended (a zombie has ended too)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _wait_gone(pid: int) -> bool:
    deadline = time.monotonic() + DEADLINE
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _gone(pid)


def test_a_child_ends_when_its_starter_is_killed() -> None:
    starter = _python(
        "import sys, time\n"
        "from mamori.core import children\n"
        "child = children.popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(60)\n",
        stdout=subprocess.PIPE,
    )
    assert starter.stdout is not None
    child = int(starter.stdout.readline())
    try:
        assert not _gone(child)
        starter.kill()
        starter.wait()
        assert _wait_gone(child), "the child outlived kill -9 of the process that started it"
    finally:
        if not _gone(child):
            os.kill(child, signal.SIGKILL)


def test_a_child_whose_parent_is_already_gone_ends_at_once() -> None:
    """The race of the issue: the parent died before the child could bind itself."""
    code = "import os\nfrom mamori.core import children\nchildren.bind_to_parent(os.getppid() + 1)"
    child = _python(code)
    assert child.wait(timeout=30) == 128 + signal.SIGTERM


def test_sigterm_runs_the_shutdown_path_and_then_ends_by_the_signal(tmp_path: Path) -> None:
    stopped = tmp_path / "stopped"
    server = _python(
        "import atexit, sys, time\n"
        "from pathlib import Path\n"
        "from mamori.core import children\n"
        "children.exit_on_signals()\n"
        "atexit.register(Path(sys.argv[1]).write_text, 'atexit')\n"
        "try:\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(60)\n"
        "finally:\n"
        "    print('finally', flush=True)\n",
        str(stopped),
        stdout=subprocess.PIPE,
    )
    assert server.stdout is not None
    assert server.stdout.readline() == "ready\n"
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == -signal.SIGTERM  # as a service manager expects
    assert server.stdout.read() == "finally\n"
    assert stopped.read_text() == "atexit"


def _marked(marker: str) -> dict[int, str]:
    """Return the live processes (pid: command line) whose environment names the trial."""
    found = {}
    wanted = f"{TRIAL}={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if wanted not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (OSError, IndexError):  # gone meanwhile, or not ours to read
            continue
        if state != "Z":  # a zombie has ended; only its parent has not read its status yet
            found[int(entry.name)] = command
    return found


@dataclass
class Trial:
    """One start and stop of a server; what it had started, what it left."""

    command: str
    data_dir: Path
    sig: signal.Signals
    delay: float | None  # None: when the server answers
    log: Path
    ready_after: float | None = None
    started: dict[int, str] = field(default_factory=dict)
    left_at_exit: dict[int, str] = field(default_factory=dict)
    left: dict[int, str] = field(default_factory=dict)

    def describe(self) -> str:
        when = "when ready" if self.delay is None else f"after {self.delay:.2f} s"
        return f"{self.command} stopped by {self.sig.name} {when}"


def _run(trial: Trial) -> Trial:
    """Start the trial's server, stop it, and record what was left."""
    marker = uuid.uuid4().hex
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    env[TRIAL] = marker
    args = [sys.executable, "-m", "mamori", trial.command, "--data-dir", str(trial.data_dir)]
    args += ["--port", str(port)] + (["--workers", "2"] if trial.command == "serve" else [])
    began = time.monotonic()
    with trial.log.open("ab") as log:
        log.write(f"=== {trial.describe()}\n".encode())
        log.flush()
        server = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        if trial.delay is None:
            _wait_until_ready(server, port, trial)
            trial.ready_after = time.monotonic() - began
        else:
            with contextlib.suppress(subprocess.TimeoutExpired):  # ending first fails below
                server.wait(timeout=trial.delay)
        assert server.poll() is None, f"{trial.describe()}: it ended first\n{_tail(trial)}"
        trial.started = _marked(marker)
        server.send_signal(trial.sig)
        server.wait(timeout=STOP)
        trial.left_at_exit = _marked(marker)
        deadline = time.monotonic() + DEADLINE
        trial.left = trial.left_at_exit
        while trial.left and time.monotonic() < deadline:
            time.sleep(0.05)
            trial.left = _marked(marker)
    finally:  # a failing trial leaves nothing running either
        if server.poll() is None:
            server.kill()
            server.wait()
        for pid in _marked(marker):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    return trial


def _wait_until_ready(server: subprocess.Popen[bytes], port: int, trial: Trial) -> None:
    deadline = time.monotonic() + START
    while True:
        try:
            url = f"http://127.0.0.1:{port}/api/health"
            with urllib.request.urlopen(url, timeout=2) as answer:
                assert json.loads(answer.read())["status"] == "ok"
                return
        except OSError:
            assert server.poll() is None, f"{trial.describe()}: it ended\n{_tail(trial)}"
            assert time.monotonic() < deadline, f"{trial.describe()}: not ready\n{_tail(trial)}"
            time.sleep(0.1)


def _tail(trial: Trial) -> str:
    return "\n".join(trial.log.read_text(errors="replace").splitlines()[-30:])


def _kinds(processes: dict[int, str]) -> list[str]:
    """Name what each process is, for the assertions and their messages."""
    names = []
    for command in processes.values():
        if "custody decider" in command:
            names.append("decider")
        elif "anvil" in command:
            names.append("anvil")
        elif "spawn_main" in command:
            names.append("worker")
        elif "resource_tracker" in command:
            names.append("resource tracker")
        elif " -m mamori " in f" {command} ":
            names.append("server")
        else:
            names.append(command[:80])
    return sorted(names)


def test_no_process_outlives_the_server_that_started_it(tmp_path: Path, installs: Installs) -> None:
    require_anvil()
    log = tmp_path / "servers.log"
    data_dir = installs.demo(tmp_path / "demo")  # made once for the session

    # when ready: the demo's shutdown path stops anvil and the deciders before it exits; the
    # demo, the demo again and serve start on the demo data directory (none has to migrate)
    demo = _run(Trial("demo", data_dir, signal.SIGTERM, None, log))
    again = _run(Trial("demo", data_dir, signal.SIGKILL, None, log))
    serve = _run(Trial("serve", data_dir, signal.SIGKILL, None, log))
    for trial in (demo, again):
        # anvil, the leading custody decider and its standby, the server
        assert _kinds(trial.started) == ["anvil", "decider", "decider", "server"], trial.describe()
    assert {"decider", "worker"} <= set(_kinds(serve.started)), serve.started

    # at random moments of the start-up (the serve trials each in one half of it)
    seed = random.randrange(1 << 32)
    rng = random.Random(seed)  # spreads the moments; not a secret
    plan = [
        ("demo", signal.SIGTERM, again.ready_after, 0, 1),
        ("serve", signal.SIGTERM, serve.ready_after, 0, 2),
        ("serve", signal.SIGKILL, serve.ready_after, 1, 2),
    ]
    trials = [demo, again, serve]
    for command, sig, ready_after, part, parts in plan:
        assert ready_after is not None
        span = (ready_after - 0.2) / parts
        delay = rng.uniform(0.2 + part * span, 0.2 + (part + 1) * span)
        trials.append(_run(Trial(command, data_dir, sig, delay, log)))
    outlived = [
        f"{t.describe()}: had started {_kinds(t.started)}, left {_kinds(t.left)}"
        for t in trials
        if t.left
    ]
    assert not outlived, f"seed {seed}:\n" + "\n".join(outlived)
    assert demo.left_at_exit == {}, f"{demo.describe()}: {_kinds(demo.left_at_exit)} left"
