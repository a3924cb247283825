"""Custody threshold monitor benchmark: ``python -m mamori.bench custody [--events N]``.

Replays N events (deposits and withdrawal requests, some cancellations) over 100,000
customers and 5 assets with all three thresholds of ISM 27-2 active (single instruction,
per customer over 24 hours, all customers per hour), through the engine with its journal
synced every ``--batch`` events by a writer thread while the next batch is decided (durable: a
decision counts only once its batch is synced; the p99 time to that point is printed too). The
rate is taken without reading a clock per event; a second pass over the same events, clocked
per event, gives the time to decide (:func:`run_engine`).
The baseline evaluates the same rules the way SQL-based engines do — an aggregate query per
rule per event on SQLite with the right indexes — on the first ``--baseline-events`` events;
the decisions of both must be identical. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mamori.bench.machine import LOOP_ADDITIONS, fsync_ms, loop_seconds
from mamori.engines.threshold import (
    Asset,
    Config,
    Decision,
    Deposit,
    Direction,
    Event,
    Journal,
    Level,
    Monitor,
    Rule,
    Scope,
    WithdrawalCancelled,
    WithdrawalRequest,
    micros,
)

T0 = datetime(2026, 11, 22, tzinfo=UTC)
# ETH is counted in gwei here: the SQLite baseline's integers are 64-bit and cannot sum wei
# (the engine itself takes any integer; its tests use wei).
ASSETS = (Asset("BTC", 8), Asset("ETH", 9), Asset("XRP", 6), Asset("SOL", 9), Asset("USDC", 6))


def config() -> Config:
    """Single, per-customer (24 h) and all-customer (1 h) thresholds, both directions."""
    rules = []
    for direction in Direction:
        for asset in ASSETS:
            unit = 10**asset.decimals
            name = f"{direction}-{asset.code}"
            rules += [
                Rule(f"{name}-single", direction, Scope.SINGLE, Level.HOLD, asset.code, 18 * unit),
                Rule(
                    f"{name}-customer",
                    direction,
                    Scope.CUSTOMER,
                    Level.HOLD,
                    asset.code,
                    40 * unit,
                    window=timedelta(hours=24),
                ),
                Rule(
                    f"{name}-all",
                    direction,
                    Scope.ALL,
                    Level.NOTIFY,
                    asset.code,
                    2_000 * unit,
                    window=timedelta(hours=1),
                ),
            ]
    return Config(ASSETS, tuple(rules), retention=timedelta(days=2))


def events(count: int, customers: int, seed: int = 27) -> list[Event]:
    """Deposits and withdrawals in time order (a few late), 2 % of withdrawals cancelled."""
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not security
    out: list[Event] = []
    withdrawals: list[str] = []
    at = T0
    for i in range(count):
        at += timedelta(microseconds=rng.randrange(1, 40_000))
        when = at - timedelta(seconds=rng.randrange(1, 60)) if rng.random() < 0.01 else at
        if withdrawals and rng.random() < 0.01:
            out.append(
                WithdrawalCancelled(f"e{i}", when, withdrawals.pop(rng.randrange(len(withdrawals))))
            )
            continue
        asset = ASSETS[rng.randrange(len(ASSETS))]
        amount = rng.randrange(1, 20 * 10**asset.decimals)
        customer = f"c{rng.randrange(customers)}"
        if rng.random() < 0.5:
            out.append(WithdrawalRequest(f"e{i}", when, customer, asset.code, amount))
            withdrawals.append(f"e{i}")
        else:
            out.append(Deposit(f"e{i}", when, customer, asset.code, amount))
    return out


def summary(decision: Decision) -> tuple[str, tuple[str, ...]]:
    """Return what must be identical between engine and baseline."""
    return (str(decision.action), decision.codes)


class _Quiet:
    """The conditions of a measured pass: the collector kept off what exists (the decider
    process does the same, :mod:`mamori.custody.fastpath.decider`), and the writer thread given the
    interpreter soon after it asks."""

    def __enter__(self) -> None:
        gc.collect()
        gc.freeze()
        gc.disable()
        self.switch = sys.getswitchinterval()
        sys.setswitchinterval(0.0002)

    def __exit__(self, *_: object) -> None:
        sys.setswitchinterval(self.switch)
        gc.enable()
        gc.unfreeze()


def run_engine(
    stream: list[Event], batch: int, folder: Path
) -> tuple[list[Decision], dict[str, float]]:
    """Two passes over the same events, each on a fresh monitor and journal.

    The rate: every event processed, the journal synced every ``batch`` events by its writer
    thread while the next batch is decided (pipelined group commit), counted until the last
    batch is on disk; no clock is read per event (two readings cost a tenth of the rate). The
    time to durability is taken per batch, from its first event's start to its sync: an upper
    bound for each of its events. The time to decide is the second pass's, clocked per event.
    The two passes must decide alike."""
    decisions, rate, durable = _rate_pass(stream, batch, folder / "rate.jsonl")
    again, latencies = _latency_pass(stream, batch, folder / "latency.jsonl")
    if again != decisions:
        raise AssertionError("the monitor decided the same events differently")
    return decisions, {
        "decisions_per_s": rate,
        "p99_us": latencies[int(len(latencies) * 0.99)] * 1e6,
        "median_us": statistics.median(latencies) * 1e6,
        "p99_durable_ms": durable,
    }


def _rate_pass(stream: list[Event], batch: int, path: Path) -> tuple[list[Decision], float, float]:
    monitor = Monitor(config())
    decisions: list[Decision] = []
    starts: list[float] = []  # when each batch's first event began
    synced: list[float] = []  # when each batch was on disk (in order: one writer)

    def on_disk(_: object) -> None:
        synced.append(time.perf_counter())

    with _Quiet(), open(path, "ab") as file:
        journal = Journal(file)
        rows = journal.rows  # the monitor journals each event as it decides it
        begun = time.perf_counter()
        starts.append(begun)
        for n, event in enumerate(stream, start=1):
            decisions.append(monitor.process(event, None, rows))
            if n % batch == 0:
                journal.commit_behind().add_done_callback(on_disk)
                starts.append(time.perf_counter())
        journal.commit()
        elapsed = time.perf_counter() - begun
    synced.append(begun + elapsed)  # the last, partial batch (or nothing) synced by now
    durable = sorted(done - start for start, done in zip(starts, synced, strict=False))
    weights = [batch] * len(durable)  # each batch's bound holds for its events
    if len(stream) % batch:
        weights[-1] = len(stream) % batch
    p99 = _weighted_quantile(durable, weights, 0.99)
    return decisions, len(stream) / elapsed, p99 * 1e3


def _weighted_quantile(values: list[float], weights: list[int], q: float) -> float:
    """The ``q`` quantile of sorted ``values`` each counted ``weights`` times."""
    target, seen = q * sum(weights), 0
    for value, weight in zip(values, weights, strict=True):
        seen += weight
        if seen >= target:
            return value
    return values[-1]


def _latency_pass(
    stream: list[Event], batch: int, path: Path
) -> tuple[list[Decision], list[float]]:
    monitor = Monitor(config())
    decisions: list[Decision] = []
    latencies: list[float] = []
    clock = time.perf_counter
    with _Quiet(), open(path, "ab") as file:
        journal = Journal(file)
        rows = journal.rows
        for n, event in enumerate(stream, start=1):
            t0 = clock()
            decisions.append(monitor.process(event, None, rows))
            latencies.append(clock() - t0)
            if n % batch == 0:
                journal.commit_behind()
        journal.commit()
    latencies.sort()
    return decisions, latencies


class SqlBaseline:
    """The same rules as SQL aggregates per event (how Marble or Jube evaluate windows)."""

    def __init__(self, path: Path | None = None, postgres_url: str | None = None) -> None:
        if postgres_url is not None:
            import psycopg

            self.db: Any = psycopg.connect(postgres_url)
            self.marker = "%s"
            for statement in (
                "CREATE TABLE moves (id TEXT PRIMARY KEY, t BIGINT, direction TEXT, asset TEXT, "
                "customer TEXT, units NUMERIC(78, 0), withdrawal INTEGER, "
                "cancelled INTEGER DEFAULT 0)",
                "CREATE INDEX moves_customer ON moves (direction, asset, customer, t)",
                "CREATE INDEX moves_all ON moves (direction, asset, t)",
            ):
                self.db.execute(statement)
        else:
            assert path is not None
            self.db = sqlite3.connect(path)
            self.marker = "?"
            self.db.executescript(
                """
                PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
                CREATE TABLE moves (id TEXT PRIMARY KEY, t INTEGER, direction TEXT, asset TEXT,
                                    customer TEXT, units INTEGER, withdrawal INTEGER,
                                    cancelled INTEGER DEFAULT 0);
                CREATE INDEX moves_customer ON moves (direction, asset, customer, t);
                CREATE INDEX moves_all ON moves (direction, asset, t);
                """
            )
        self.cfg = config()
        self.latest: int | None = None

    def _run(self, sql: str, params: tuple[Any, ...]) -> Any:
        return self.db.execute(sql.replace("?", self.marker), params)

    def process(self, event: Event) -> tuple[str, tuple[str, ...]]:
        t = micros(event.at)
        lateness = micros(T0 + self.cfg.max_lateness) - micros(T0)
        if self.latest is not None and t < self.latest - lateness:
            return ("reject", ("late",))
        if isinstance(event, WithdrawalCancelled):
            row = self._run(
                "SELECT cancelled FROM moves WHERE id = ? AND withdrawal = 1", (event.withdrawal,)
            ).fetchone()
            if row is None:
                return ("reject", ("unknown_withdrawal",))
            if row[0]:
                return ("reject", ("not_cancellable",))
            self._run("UPDATE moves SET cancelled = 1 WHERE id = ?", (event.withdrawal,))
            self._advance(t)
            return ("allow", ())
        assert isinstance(event, Deposit | WithdrawalRequest)
        direction = "withdrawal" if isinstance(event, WithdrawalRequest) else "deposit"
        codes, worst = [], 0
        for rule in self.cfg.rules:
            if str(rule.direction) != direction or rule.asset != event.asset:
                continue
            observed = event.amount
            if rule.scope is not Scope.SINGLE:
                assert rule.window is not None
                start = t - rule.window // timedelta(microseconds=1)
                if rule.scope is Scope.CUSTOMER:
                    (total,) = self._run(
                        "SELECT COALESCE(SUM(units), 0) FROM moves WHERE direction = ? AND "
                        "asset = ? AND customer = ? AND t > ? AND t <= ? AND cancelled = 0",
                        (direction, event.asset, event.customer, start, t),
                    ).fetchone()
                else:
                    (total,) = self._run(
                        "SELECT COALESCE(SUM(units), 0) FROM moves WHERE direction = ? AND "
                        "asset = ? AND t > ? AND t <= ? AND cancelled = 0",
                        (direction, event.asset, start, t),
                    ).fetchone()
                observed += int(total)
            if observed >= rule.limit:
                codes.append(f"threshold.{rule.level}")
                worst = max(worst, {Level.NOTIFY: 1, Level.HOLD: 2, Level.HALT: 3}[rule.level])
        self._run(
            "INSERT INTO moves (id, t, direction, asset, customer, units, withdrawal) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                event.id,
                t,
                direction,
                event.asset,
                event.customer,
                event.amount,
                int(direction == "withdrawal"),
            ),
        )
        self._advance(t)
        return ({0: "allow", 1: "allow", 2: "hold", 3: "halt"}[worst], tuple(codes))

    def _advance(self, t: int) -> None:
        if self.latest is None or t > self.latest:
            self.latest = t


def run_baseline(
    stream: list[Event], folder: Path, batch: int, postgres_url: str | None = None
) -> tuple[list[Any], float]:
    """Process ``stream`` through the SQL baseline (SQLite, or the PostgreSQL database at
    ``postgres_url``), committing every ``batch`` events."""
    baseline = SqlBaseline(folder / "baseline.sqlite3", postgres_url)
    out = []
    begun = time.perf_counter()
    for n, event in enumerate(stream, start=1):
        out.append(baseline.process(event))
        if n % batch == 0:
            baseline.db.commit()
    baseline.db.commit()
    rate = len(stream) / (time.perf_counter() - begun)
    baseline.db.close()
    return out, rate


def main(argv: list[str]) -> int:
    """Run the benchmark and print its figures; the last line is JSON."""
    parser = argparse.ArgumentParser(prog="python -m mamori.bench custody")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000, help="events per journal fsync")
    parser.add_argument("--baseline-events", type=int, default=100_000)
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP part")
    parser.add_argument("--http-seconds", type=float, default=60.0, help="time held at 1,000/s")
    parser.add_argument(
        "--http-workers", type=int, default=1, help="web workers of the server (and its decider)"
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres: also the SQL baseline and the HTTP part on PostgreSQL, side by side "
        "with SQLite (a fresh database on MAMORI_BENCH_POSTGRES_URL's server)",
    )
    args = parser.parse_args(argv)
    from mamori.bench import postgres

    loop_before = loop_seconds()
    stream = events(args.events, args.customers)
    size = min(args.baseline_events, len(stream))
    pg_rate: float | None = None
    pg_identical: bool | None = None
    with tempfile.TemporaryDirectory(prefix="mamori-bench-custody-") as tmp:
        folder = Path(tmp)
        flush_p50, flush_p99 = fsync_ms(folder)
        decisions, ours = run_engine(stream, args.batch, folder)
        expected = [summary(d) for d in decisions[:size]]
        theirs, baseline_rate = run_baseline(stream[:size], folder, args.batch)
        if args.database == "postgres":
            with postgres.fresh_database(postgres.server_url()) as url:
                pg_theirs, pg_rate = run_baseline(stream[:size], folder, args.batch, url)
            pg_identical = expected == pg_theirs
    identical = expected == theirs
    http: dict[str, Any] | None = None
    pg_http: dict[str, Any] | None = None
    pg_django: dict[str, Any] | None = None
    if not args.no_http:
        from mamori.bench.custody_http import measure

        http = measure(args.http_seconds, min(10.0, args.http_seconds), args.http_workers)
        if args.database == "postgres":
            with postgres.fresh_database(postgres.server_url()) as url:
                pg_http = measure(
                    args.http_seconds, min(10.0, args.http_seconds), args.http_workers, url
                )
            with postgres.fresh_database(postgres.server_url()) as url:  # what it is worth
                try:
                    pg_django = measure(  # 5 s: an open loop it cannot hold queues behind it
                        min(5.0, args.http_seconds),
                        0,
                        args.http_workers,
                        url,
                        fastpath=False,
                        ramp_up=False,
                    )
                except subprocess.TimeoutExpired as exc:  # figures None: said, not hidden
                    print(f"without the fast path the endpoint did not keep up: {exc}")
    loop_after = loop_seconds()
    figures = {
        "bench": "custody",
        "events": len(stream),
        "decisions_per_s": round(ours["decisions_per_s"]),
        "p99_us": round(ours["p99_us"], 1),
        "median_us": round(ours["median_us"], 1),
        "p99_durable_ms": round(ours["p99_durable_ms"], 2),
        "baseline": "sql",
        "baseline_events": size,
        "baseline_decisions_per_s": round(baseline_rate),
        "ratio": round(ours["decisions_per_s"] / baseline_rate, 1),
        "identical": identical,
        "held": sum(1 for d in decisions if str(d.action) == "hold"),
        "http_p99_ms_at_1000rps": round(http["at_1000"]["p99_ms"], 2) if http else None,
        "http_achieved_rps_at_1000": round(http["at_1000"]["achieved"]) if http else None,
        "http_max_rps_p99_10ms": http["max_rps_p99_10ms"] if http else None,
        "http_steady_rps_p99_10ms": http["steady_rps_p99_10ms"] if http else None,
        "http_p50_ms_at_1000rps": round(http["at_1000"]["p50_ms"], 2) if http else None,
        "http_workers": args.http_workers if http else None,
        # PostgreSQL, the production database, side by side (--database postgres)
        "baseline_postgres_decisions_per_s": round(pg_rate) if pg_rate else None,
        "ratio_postgres": round(ours["decisions_per_s"] / pg_rate, 1) if pg_rate else None,
        "identical_postgres": pg_identical,
        "http_postgres_p99_ms_at_1000rps": (
            round(pg_http["at_1000"]["p99_ms"], 2) if pg_http else None
        ),
        "http_postgres_p50_ms_at_1000rps": (
            round(pg_http["at_1000"]["p50_ms"], 2) if pg_http else None
        ),
        "http_postgres_achieved_rps_at_1000": (
            round(pg_http["at_1000"]["achieved"]) if pg_http else None
        ),
        "http_postgres_max_rps_p99_10ms": pg_http["max_rps_p99_10ms"] if pg_http else None,
        "http_postgres_steady_rps_p99_10ms": pg_http["steady_rps_p99_10ms"] if pg_http else None,
        # the same 1,000 requests/s on PostgreSQL with the fast path off: Django's endpoint
        "http_postgres_django_achieved_rps_at_1000": (
            round(pg_django["at_1000"]["achieved"]) if pg_django else None
        ),
        "http_postgres_django_p99_ms_at_1000rps": (
            round(pg_django["at_1000"]["p99_ms"], 2) if pg_django else None
        ),
        "fastpath_ratio_postgres": (
            round(pg_http["at_1000"]["achieved"] / pg_django["at_1000"]["achieved"], 2)
            if pg_http and pg_django and pg_django["at_1000"]["achieved"]
            else None
        ),
        # the machine's speed before and after (mamori.bench.machine): ~1 s when it is not slowed
        "machine_loop_s": [round(loop_before, 2), round(loop_after, 2)],
        "machine_fsync_ms": [round(flush_p50, 3), round(flush_p99, 3)],  # p50, p99 of a 4 KB flush
    }
    print(
        f"engine {figures['decisions_per_s']}/s durable (journal fsync every {args.batch}, "
        f"pipelined), p99 {figures['p99_us']} µs to decide, {figures['p99_durable_ms']} ms to "
        f"be on disk; SQL baseline {figures['baseline_decisions_per_s']}/s on "
        f"{size} events; identical: {identical}"
    )
    if pg_rate:
        print(f"SQL baseline on PostgreSQL {pg_rate:.0f}/s; identical: {pg_identical}")
    for measured in (http, pg_http):
        if not measured:
            continue
        for step in [measured["at_1000"], *measured["ramp"]]:
            print(
                f"HTTP ({measured['database']}) {step['rate']}/s target: "
                f"{step['achieved']:.0f}/s achieved, "
                f"p50 {step['p50_ms']:.1f} ms, p99 {step['p99_ms']:.1f} ms, max "
                f"{step['max_ms']:.1f} ms over {step['requests']} requests "
                f"({step['failures']} failed)"
            )
    print(
        f"machine: a pure-Python loop of {LOOP_ADDITIONS:,} additions took "
        f"{loop_before:.2f} s before and {loop_after:.2f} s after (about 1 s when not slowed); "
        f"a 4 KB write's flush to disk p50 {flush_p50:.2f} ms, p99 {flush_p99:.2f} ms"
    )
    print(json.dumps(figures))
    return 0 if identical and pg_identical is not False else 1
