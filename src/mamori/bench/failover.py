"""Failover of the custody deciders (ISM 27-2, 27-3): ``python -m mamori.bench failover``.

Three deciders on Unix sockets share a PostgreSQL database of their own; a client that follows
the leader as web workers do (:class:`~mamori.custody.fastpath.wire.DeciderClient`) offers
checks at a fixed rate, and the leader's whole process group is killed (``kill -9``) 0.4 s
into the load, trial after trial; the killed decider comes back as a standby while the next
trials run. Takeover is measured from the kill to the first answer given after it.

The baseline is the naive way to survive a crash: one decider, started again at once when it
dies (what a process supervisor does), on the same database and the same load: it loads the
monitor from the journal before it can answer. The ratio is the baseline's median over the
standbys' median.

The machinery (:class:`Exchange`, :class:`Load`, :func:`run_trials`) is also what
``tests/custody/test_custody_failover.py`` drives to check that no decision is lost or
changed across the kills.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from mamori.core import children
from mamori.custody.fastpath.wire import (
    Address,
    Check,
    DeciderClient,
    NoLeader,
    frames,
    request_frame,
)

__all__ = ["Exchange", "Load", "Trials", "decision_of", "main", "run_trials"]

RATE = 1000  # checks offered a second
IN_FLIGHT = 256  # at most this many unanswered at once (the rest wait their turn)
BEFORE_KILL = 0.4  # seconds of load before the leader is killed
AFTER_TAKEOVER = 0.3  # seconds of load after the new leader's first answer
TAKEOVER_LIMIT = 60.0  # a trial with no answer this long after its kill fails

#: A monitored asset whose rules every check passes through (a per-customer notice, a halt
#: far above the load).
SETUP = """
from mamori.custody.models import Asset, ThresholdRule
from mamori.custody.services import monitor
asset = Asset.objects.create(
    code="TST", name="Test", chain="test", decimals=0, unknown_address="allow"
)
ThresholdRule.objects.create(code="cust", direction="withdrawal", scope="customer", level="notify",
                             asset=asset, limit_units=300, window_seconds=3600)
ThresholdRule.objects.create(code="all", direction="withdrawal", scope="all", level="halt",
                             asset=asset, limit_units=10**9, window_seconds=3600)
monitor.apply_thresholds()
"""


class Exchange:
    """A migrated PostgreSQL database (``url``) and the deciders on it, each in a process group
    of its own, on Unix sockets in ``data_dir``."""

    def __init__(self, data_dir: Path, url: str, deciders: int = 3) -> None:
        self.data_dir = data_dir
        self.url = url.replace("postgres://", "postgresql://", 1)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
        self.env |= {"MAMORI_DATABASE_URL": self.url, "MAMORI_DATA_DIR": str(data_dir)}
        self.slots = [data_dir / f"d{i}.sock" for i in range(deciders)]
        self.processes: dict[int, subprocess.Popen[bytes]] = {}

    def mamori(self, *args: str) -> str:
        """Run a ``mamori`` command on this exchange; return what it printed."""
        done = subprocess.run(  # noqa: S603 - our own command, fixed arguments
            [sys.executable, "-m", "mamori", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        return done.stdout

    def prepare(self) -> str:
        """Add the monitored asset and a gateway's token; return the token's secret."""
        self.mamori("shell", "-c", SETUP)
        token = self.mamori("token", "create", "--name", "gw", "--scope", "custody:check")
        return token.strip().splitlines()[-1].split()[-1]

    def addresses(self) -> list[Address]:
        return [Address("unix", str(path)) for path in self.slots]

    def start(self, slot: int, wait: bool = True) -> None:
        """Start a decider on ``slot``'s socket; with ``wait``, return once it answers (as a
        standby, or as the leader if none leads)."""
        path = self.slots[slot]
        path.unlink(missing_ok=True)
        self.processes[slot] = children.popen(  # ends with the bench, however it ends
            [sys.executable, "-m", "mamori", "custody", "decider", "--listen", f"unix:{path}"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=(self.data_dir / f"d{slot}.log").open("ab"),
            start_new_session=True,  # its own process group: killed whole
        )
        if wait:
            self.wait_for(slot)

    def wait_for(self, slot: int) -> None:
        """Return once the decider of ``slot`` answers."""
        deadline = time.monotonic() + 120
        while not _answers(self.slots[slot]):
            if self.processes[slot].poll() is not None:
                raise RuntimeError(f"the decider of slot {slot} exited at start")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the decider of slot {slot} did not start")
            time.sleep(0.05)

    def standby_ready(self, leading: int) -> None:
        """Return once a decider other than the one in slot ``leading`` answers (the others
        may still be starting: they come up while the next trials run)."""
        deadline = time.monotonic() + 120
        while not any(_answers(self.slots[s]) for s in self.processes if s != leading):
            if time.monotonic() > deadline:
                raise RuntimeError("no standby is ready")
            time.sleep(0.05)

    def leader(self) -> tuple[int, int]:
        """Return the leader's process id and term."""
        import psycopg

        with psycopg.connect(self.url) as db:
            row = db.execute(
                "SELECT holder, term FROM custody_deciderlease WHERE name = 'custody'"
            ).fetchone()
        assert row is not None, "no decider has led yet"
        holder, term = row
        return int(holder.rsplit(":", 1)[1]), int(term)

    def slot_of(self, pid: int) -> int:
        (slot,) = [s for s, p in self.processes.items() if p.pid == pid]
        return slot

    def stop(self) -> None:
        """Kill every decider still running."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _answers(path: Path) -> bool:
    """Whether the decider at ``path`` answers a frame (a standby says so without deciding)."""
    probe = Check("probe", b"{}", "probe", None)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as link:
            link.settimeout(5)
            link.connect(str(path))
            link.sendall(request_frame(1, probe))
            buffer = bytearray()
            while not frames(buffer.copy()):
                data = link.recv(1 << 16)
                if not data:
                    return False
                buffer += data
            return True
    except OSError:
        return False


def body_of(n: int) -> bytes:
    """The body of check number ``n`` (request id ``r{n}``)."""
    return json.dumps(
        {
            "request_id": f"r{n}",
            "customer": f"c{n % 7}",
            "asset": "TST",
            "amount": str(10 + n % 50),
            "address": f"tst-{n % 7}",
        }
    ).encode()


def decision_of(answer: bytes | None) -> tuple[str, tuple[str, ...]]:
    """The action and reason codes of an answer."""
    if answer is None:
        raise AssertionError("every check the fast path takes is answered by it")
    decided = json.loads(answer)
    return decided["action"], tuple(r["code"] for r in decided["reasons"])


class Load:
    """Checks offered at :data:`RATE` a second through the client web workers use; ``wait`` is
    how long a check follows the leader before it is told to come back (:class:`NoLeader`)."""

    def __init__(self, exchange: Exchange, secret: str, wait: float | None = None) -> None:
        self.exchange = exchange
        self.secret = secret
        self.wait = wait
        self.client = self.new_client()
        self.next = 0
        self.answered: dict[int, tuple[float, tuple[str, tuple[str, ...]]]] = {}
        self.unavailable: list[int] = []
        self.sent_at: dict[int, float] = {}
        self.kills: list[float] = []

    def new_client(self) -> DeciderClient:
        """A client for the running event loop (one per event loop, as per web worker)."""
        return DeciderClient(self.exchange.addresses(), self.wait)

    async def run(self, until: asyncio.Event) -> None:
        """Offer checks until ``until`` is set; wait for the last ones' answers."""
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(IN_FLIGHT)
        tasks: set[asyncio.Task[None]] = set()
        started = loop.time()
        sent = 0
        while not until.is_set():
            due = started + sent / RATE
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            await gate.acquire()
            task = loop.create_task(self._one(self.next, gate))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            self.next += 1
            sent += 1
        await asyncio.gather(*tasks)

    async def _one(self, n: int, gate: asyncio.Semaphore) -> None:
        loop = asyncio.get_running_loop()
        self.sent_at[n] = loop.time()
        try:
            answer = await self.client.decide(Check(self.secret, body_of(n), f"q{n}", None))
        except NoLeader:
            self.unavailable.append(n)
        else:
            self.answered[n] = (loop.time(), decision_of(answer))
        finally:
            gate.release()

    def in_flight_at_kills(self) -> set[int]:
        """The checks sent before a kill and answered after it."""
        return {
            n
            for n, (at, _) in self.answered.items()
            if any(self.sent_at[n] < kill < at for kill in self.kills)
        }


async def _trial(exchange: Exchange, load: Load, restart: bool) -> tuple[float, float]:
    """Run the load, kill the leader's process group (with ``restart``, start it again at once:
    the baseline); return how long after the kill the first check was answered, and how long
    the load ran."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    until = asyncio.Event()
    running = loop.create_task(load.run(until))
    await asyncio.sleep(BEFORE_KILL)
    pid, _term = await loop.run_in_executor(None, exchange.leader)
    os.killpg(pid, signal.SIGKILL)
    killed_at = loop.time()
    load.kills.append(killed_at)
    slot = exchange.slot_of(pid)
    killed = exchange.processes[slot]
    if restart:
        exchange.start(slot, wait=False)
    deadline = killed_at + TAKEOVER_LIMIT
    while not any(at > killed_at for at, _ in load.answered.values()):
        if loop.time() > deadline:
            raise RuntimeError(f"no decider answered within {TAKEOVER_LIMIT:.0f} s of a kill")
        await asyncio.sleep(0.005)
    took = min(at for at, _ in load.answered.values() if at > killed_at) - killed_at
    await asyncio.sleep(AFTER_TAKEOVER)
    until.set()
    await running
    killed.wait()
    return took, loop.time() - began


@dataclass
class Trials:
    """What a series of kills measured."""

    load: Load
    takeovers: list[float] = field(default_factory=list)
    terms: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def figures(self, prefix: str = "") -> dict[str, float | int]:
        return {
            f"{prefix}trials": len(self.takeovers),
            f"{prefix}checks": self.load.next,
            f"{prefix}checks_per_s": round(self.load.next / self.seconds),
            f"{prefix}takeover_max_s": round(max(self.takeovers), 3),
            f"{prefix}takeover_median_s": round(statistics.median(self.takeovers), 3),
            f"{prefix}in_flight_at_kills": len(self.load.in_flight_at_kills()),
            f"{prefix}unavailable": len(self.load.unavailable),
        }


def run_trials(load: Load, trials: int, restart: bool = False) -> Trials:
    """Kill the leader ``trials`` times under ``load``; with standbys, the killed decider comes
    back as a standby while the next trial runs; with ``restart`` (one decider), it is started
    again at once and is the only one that can answer."""
    exchange = load.exchange
    for slot in range(len(exchange.slots)):
        if slot not in exchange.processes or exchange.processes[slot].poll() is not None:
            exchange.start(slot)
    done = Trials(load)
    for _ in range(trials):
        pid, term = exchange.leader()
        if restart:
            exchange.wait_for(exchange.slot_of(pid))
        else:
            exchange.standby_ready(exchange.slot_of(pid))
        done.terms.append(term)
        load.client = load.new_client()
        took, ran = asyncio.run(_trial(exchange, load, restart))
        done.takeovers.append(took)
        done.seconds += ran
        if not restart:  # the killed slot comes back as a standby while the next trial runs
            exchange.start(exchange.slot_of(pid), wait=False)
    return done


def _measure(trials: int, baseline_trials: int, server: str) -> dict[str, object]:
    from mamori.bench.postgres import fresh_database

    figures: dict[str, object] = {"bench": "failover"}
    with tempfile.TemporaryDirectory(prefix="mamori-failover-") as folder:
        for mode, count, deciders in (("standby", trials, 3), ("baseline", baseline_trials, 1)):
            data = Path(folder) / mode
            data.mkdir()
            with fresh_database(server) as url:
                exchange = Exchange(data, url, deciders)
                try:
                    exchange.mamori("migrate")
                    secret = exchange.prepare()
                    # the baseline's checks wait out the restart instead of being turned away
                    load = Load(exchange, secret, None if mode == "standby" else TAKEOVER_LIMIT)
                    done = run_trials(load, count, restart=mode == "baseline")
                finally:
                    exchange.stop()
            figures |= done.figures("" if mode == "standby" else "baseline_restart_")
    standby = figures["takeover_median_s"]
    restart = figures["baseline_restart_takeover_median_s"]
    assert isinstance(standby, float) and isinstance(restart, float)
    figures["ratio_restart_over_standby"] = round(restart / standby, 1)
    return figures


def main(argv: list[str]) -> int:
    """Print the standbys' and the restart's figures as one JSON line."""
    from mamori.bench.postgres import server_url

    parser = argparse.ArgumentParser(prog="python -m mamori.bench failover")
    parser.add_argument("--trials", type=int, default=20, help="kills with standbys")
    parser.add_argument("--baseline-trials", type=int, default=3, help="kills with a restart")
    parser.add_argument("--server", default=None, help="PostgreSQL server URL")
    args = parser.parse_args(argv)
    if args.trials < 1 or args.baseline_trials < 1:
        parser.error("--trials and --baseline-trials must be at least 1")
    print(json.dumps(_measure(args.trials, args.baseline_trials, args.server or server_url())))
    return 0
