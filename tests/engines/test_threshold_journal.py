"""The journal rebuilds the monitor exactly; a kill -9 mid-burst loses no acknowledged decision."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from mamori.engines.threshold import (
    Asset,
    Balance,
    Config,
    Deposit,
    Direction,
    HaltScope,
    HoldRefused,
    HoldReleased,
    Journal,
    Level,
    Monitor,
    Price,
    Rule,
    Scope,
    WithdrawalCancelled,
    WithdrawalRequest,
    WithdrawalSent,
    checked_row,
    replay,
)
from mamori.engines.threshold.codec import narrow

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
CONFIG = Config(
    (Asset("ETH", 18),),
    (
        Rule(
            "c",
            Direction.WITHDRAWAL,
            Scope.CUSTOMER,
            Level.HALT,
            "ETH",
            5 * 10**18,
            window=timedelta(hours=1),
        ),
    ),
)


def stream() -> list:
    wei = 10**18
    return [
        Price("p", T0, "ETH", Decimal("512345.678901")),
        Deposit("d", T0, "c1", "ETH", 3 * wei + 1),
        WithdrawalRequest("w1", T0 + timedelta(seconds=1), "c1", "ETH", 2 * wei, "0xabc"),
        WithdrawalCancelled("x1", T0 + timedelta(seconds=2), "w1"),
        WithdrawalRequest("w2", T0 + timedelta(seconds=3), "c1", "ETH", 4 * wei),
        WithdrawalSent("s2", T0 + timedelta(seconds=4), "w2"),
        WithdrawalRequest("w3", T0 + timedelta(seconds=5), "c1", "ETH", 1 * wei),
        Balance("b", T0 + timedelta(seconds=6), "hot-1", "ETH", 10**24),
    ]


def test_replaying_the_journal_rebuilds_the_same_state_and_decisions(tmp_path: Path) -> None:
    monitor = Monitor(CONFIG)
    buffer = open(tmp_path / "journal.jsonl", "w+b")  # noqa: SIM115 - closed below
    journal = Journal(buffer)
    first = []
    for event in stream():
        first.append(monitor.process(event, now=T0 + timedelta(minutes=1)))
        journal.event(event, now=T0 + timedelta(minutes=1))
    (halt,) = monitor.active_halts()
    monitor.lift(halt.id)
    journal.lift(halt.id)
    journal.commit()
    buffer.seek(0)
    rebuilt, again = replay(CONFIG, buffer.readlines())
    buffer.close()
    assert again == first
    assert rebuilt.active_halts() == [] and rebuilt.balances == monitor.balances
    assert rebuilt.window_total("c", "c1", T0 + timedelta(seconds=6)) == monitor.window_total(
        "c", "c1", T0 + timedelta(seconds=6)
    )
    # a resent event gets its first decision back
    assert rebuilt.process(stream()[4]) == first[4]


def test_released_and_refused_holds_replay_identically_after_a_restart(tmp_path: Path) -> None:
    config = Config(
        (Asset("ETH", 18),),
        (
            Rule(
                "hold",
                Direction.WITHDRAWAL,
                Scope.CUSTOMER,
                Level.HOLD,
                "ETH",
                5,
                window=timedelta(hours=1),
            ),
            Rule(
                "halt",
                Direction.WITHDRAWAL,
                Scope.CUSTOMER,
                Level.HALT,
                "ETH",
                12,
                window=timedelta(hours=1),
                halt_scope=HaltScope.CUSTOMER_ASSET,
                halt_expiry=timedelta(minutes=30),
            ),
        ),
        deposit_delay=timedelta(hours=2),
    )
    second = timedelta(seconds=1)
    events = [
        WithdrawalRequest("w1", T0, "c1", "ETH", 5),
        HoldReleased("r1", T0 + second, "w1", "checked with the customer"),
        WithdrawalRequest("w2", T0 + 2 * second, "c1", "ETH", 5),
        HoldRefused("f2", T0 + 3 * second, "w2", "customer did not answer"),
        Deposit("d", T0 - timedelta(minutes=90), "c1", "ETH", 7),  # by its chain time
        WithdrawalRequest("w3", T0 + 4 * second, "c1", "ETH", 7),  # 5 + 7: halts
        WithdrawalCancelled("x2", T0 + 5 * second, "w2"),
    ]
    now = T0 + timedelta(minutes=1)
    monitor = Monitor(config)
    with open(tmp_path / "journal.jsonl", "w+b") as file:
        journal = Journal(file)
        first = [monitor.process(event, now, journal.rows) for event in events]
        journal.commit()
        file.seek(0)
        rebuilt, again = replay(config, file.readlines())
    assert again == first
    assert [d.action.value for d in first] == [
        "hold",
        "allow",
        "hold",
        "allow",
        "allow",
        "halt",
        "reject",
    ]
    assert first[-1].codes == ("not_cancellable",)
    assert rebuilt.active_halts() == monitor.active_halts()
    (halt,) = rebuilt.active_halts()
    assert (halt.scope, halt.key, halt.asset) == (HaltScope.CUSTOMER_ASSET, "c1", "ETH")
    assert halt.until == T0 + 4 * second + timedelta(minutes=30)
    assert [rebuilt.withdrawal_state(w) for w in ("w1", "w2")] == ["released", "refused"]
    assert rebuilt.window_total("hold", "c1", now) == monitor.window_total("hold", "c1", now) == 5


def test_batches_handed_to_the_writer_thread_land_in_order_and_replay_the_same(
    tmp_path: Path,
) -> None:
    monitor = Monitor(CONFIG)
    first = []
    with open(tmp_path / "journal.jsonl", "ab") as file:
        journal = Journal(file)
        futures = []
        for event in stream():
            first.append(monitor.process(event))
            journal.event(event)
            futures.append(journal.commit_behind())  # a batch of one, synced behind
        assert [future.result() for future in futures] == [1] * len(first)
        assert journal.commit() == len(first)  # every line handed is durable
        assert journal.commit() == 0
    _, again = replay(CONFIG, (tmp_path / "journal.jsonl").read_bytes().splitlines(True))
    assert again == first


def test_the_monitor_journals_what_it_decides_as_the_journal_would(tmp_path: Path) -> None:
    """Rows made by the monitor while deciding equal the journal's own rows of the same
    events; a resend, a reused id and an unusable time add none; amounts wider than 64 bits
    are written as digits and come back exact."""
    now = T0 + timedelta(minutes=1)
    wide = WithdrawalRequest("w9", T0 + timedelta(seconds=7), "c2", "ETH", 20 * 10**18, "0xdef")
    events = [*stream(), wide]
    odd = [
        stream()[2],  # a resend: changes nothing
        Deposit("d", T0, "c1", "ETH", 1),  # the id of another event: refused, changes nothing
        Deposit("naive", datetime(2026, 11, 22, 9, 0), "c1", "ETH", 1),
        Deposit("late", T0 - timedelta(hours=2), "c1", "ETH", 1),  # refused, remembered
        Deposit("bad", T0, "c1", "ETH", Decimal("1.5")),  # type: ignore[arg-type]
    ]
    monitor, mirror = Monitor(CONFIG), Monitor(CONFIG)
    with open(tmp_path / "journal.jsonl", "ab") as file:
        journal = Journal(file)
        first = [monitor.process(event, now, journal.rows) for event in events + odd]
        expected = [checked_row(e, now) for e in [*events, odd[3], odd[4]]]
        assert [narrow(row) for row in journal.rows] == expected
        assert [mirror.process(e, now) for e in events + odd] == first
        assert journal.commit() == len(expected)
    raw = (tmp_path / "journal.jsonl").read_bytes()
    assert b'"20000000000000000000"' in raw  # wider than 64 bits: its digits
    rebuilt, again = replay(CONFIG, raw.splitlines(True))
    assert again == [*first[: len(events)], first[-2], first[-1]]
    # resends get their first decisions: the events came back exact (else: a conflict)
    assert rebuilt.process(wide) == first[len(events) - 1]
    assert rebuilt.process(odd[4]) == first[-1]
    assert first[-1].codes == ("bad_amount",)


def test_a_torn_last_line_is_ignored() -> None:
    lines = [b'[0,"d",1,"c","ETH","5"]\n', b'[1,"w",2,"c","ETH","1"']
    _, decisions = replay(CONFIG, lines)
    assert len(decisions) == 1


def test_a_commit_is_one_line_and_a_torn_commit_is_ignored_whole(tmp_path: Path) -> None:
    with open(tmp_path / "journal.jsonl", "ab") as file:
        journal = Journal(file)
        for event in stream()[:3]:
            journal.event(event)
        assert journal.commit() == 3
        for event in stream()[3:]:
            journal.event(event)
        assert journal.commit() == 5
    lines = (tmp_path / "journal.jsonl").read_bytes().splitlines(True)
    assert len(lines) == 2
    _, whole = replay(CONFIG, lines)
    assert [d.event for d in whole] == [e.id for e in stream()]
    # the process died while writing the second commit: none of it was acknowledged
    _, torn = replay(CONFIG, [lines[0], lines[1][:-9]])
    assert [d.event for d in torn] == ["p", "d", "w1"]


WORKER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta
    from mamori.engines.threshold import Journal, Monitor, WithdrawalRequest, replay
    sys.path.insert(0, sys.argv[3])
    from tests.engines.test_threshold_journal import CONFIG

    path = sys.argv[1]
    count = int(sys.argv[2])
    t0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    try:
        with open(path, "rb") as existing:
            monitor, _ = replay(CONFIG, existing)
    except FileNotFoundError:
        monitor = Monitor(CONFIG)
    with open(path, "ab") as file:
        journal = Journal(file)
        pending = []
        for i in range(count):
            event = WithdrawalRequest(
                f"w{i}", t0 + timedelta(milliseconds=i), f"c{i % 97}", "ETH", 10**17 + i
            )
            resend = monitor.knows(event.id)
            decision = monitor.process(event)
            if not resend:
                journal.event(event)
            pending.append(decision)
            if len(pending) == 50:
                journal.commit()
                for d in pending:  # acknowledged only now, after fsync
                    print(d.event, d.action, ",".join(d.codes), flush=True)
                pending.clear()
        journal.commit()
        for d in pending:
            print(d.event, d.action, ",".join(d.codes), flush=True)
    """
)


def _acknowledge(acknowledged: dict[str, str], line: str) -> None:
    """Count a printed decision; a line the kill cut short was never a whole acknowledgement."""
    if not line.endswith("\n"):
        return
    event_id, rest = line.split(" ", 1)
    acknowledged[event_id] = rest.strip()


def test_kill_9_mid_burst_loses_no_acknowledged_decision_and_changes_none(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    here = str(Path(__file__).resolve().parents[2])  # the root of the tests package
    args = [sys.executable, str(script), str(journal), "20000", here]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    acknowledged: dict[str, str] = {}
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while len(acknowledged) < 3000 and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        _acknowledge(acknowledged, line)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    for line in process.stdout:  # whatever was printed before the kill
        _acknowledge(acknowledged, line)
    assert 3000 <= len(acknowledged) < 20000, "the kill must land mid-burst"

    # restart and resend everything: every acknowledged decision comes back unchanged
    rerun = subprocess.run(args, capture_output=True, text=True, timeout=300, check=True)
    final: dict[str, str] = {}
    for line in rerun.stdout.splitlines():
        event_id, rest = line.split(" ", 1)
        assert event_id not in final, f"{event_id} decided twice"
        final[event_id] = rest.strip()
    assert len(final) == 20000
    changed = {k: (v, final[k]) for k, v in acknowledged.items() if final[k] != v}
    assert changed == {}
    with open(journal, "rb") as file:
        _, decisions = replay(CONFIG, file)
    assert len({d.event for d in decisions}) == len(decisions) == 20000
    assert any(v.startswith("halt") or v.startswith("reject") for v in final.values())
