"""Active and standby custody deciders on PostgreSQL (issue 31; ISM 27-2, 27-3): kill -9 of the
leader's whole process group under a load of up to 1,000 checks a second, ten times — a
standby takes over (a new term each time), no acknowledged decision is lost or repeated, no
check is answered twice differently, and the journal shows one leader at a time.

How fast the standby takes over is measured by ``python -m mamori.bench failover`` (same
machinery, beside a restarted decider as baseline), not asserted here: the suite shares its
cores with other tests. The checks here follow the leader for up to a minute, so that a
loaded host slows them without turning them away."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamori.bench.failover import IN_FLIGHT, Exchange, Load, body_of, decision_of, run_trials
from mamori.custody.fastpath.wire import SWITCH_WAIT, Check, DeciderClient
from tests.installs import Installs

pytestmark = pytest.mark.postgres

TRIALS = 10
PATIENCE = 60.0  # how long a check here follows the leader before it is turned away


@pytest.fixture
def exchange(postgres_url: str, tmp_path: Path, installs: Installs) -> Iterator[Exchange]:
    with installs.postgres(postgres_url, "mamori_failover") as url:
        place = Exchange(tmp_path, url)
        try:
            yield place
        finally:
            place.stop()


def test_a_standby_takes_over_from_a_killed_leader_and_no_decision_is_lost_or_changed(
    exchange: Exchange,
) -> None:
    import psycopg

    secret = exchange.prepare()
    load = Load(exchange, secret, PATIENCE)
    done = run_trials(load, TRIALS)
    _new_pid, last_term = exchange.leader()

    # a standby took over each time (a new term per kill, none in between), within the time a
    # web worker's check waits on a quiet host — and no check was turned away
    assert last_term == done.terms[0] + TRIALS
    assert statistics.median(done.takeovers) < SWITCH_WAIT, done.takeovers
    assert load.unavailable == []
    # every acknowledged decision is in the journal once, as it was answered
    with psycopg.connect(exchange.url) as db:
        rows = db.execute(
            "SELECT event_id, action, decided_by FROM custody_monitorrecord "
            "WHERE kind = 'event' ORDER BY id"
        ).fetchall()
    journal = {event: action for event, action, _ in rows}
    assert len(journal) == len(rows)  # none decided twice
    acknowledged = {f"r{n}": decision for n, (_, decision) in load.answered.items()}
    assert {e: journal.get(e) for e in acknowledged} == {
        e: action for e, (action, _) in acknowledged.items()
    }
    # one leader at a time: the terms of the journal never go back
    written = [term for _, _, term in rows]
    assert None not in written and written == sorted(written)

    # asked again, every check in flight at a kill (sent before, answered after) and every
    # tenth get their first answer
    in_flight = load.in_flight_at_kills()
    assert in_flight  # the kills did land in the middle of the load

    async def again() -> dict[int, tuple[str, tuple[str, ...]]]:
        client, gate = DeciderClient(exchange.addresses(), PATIENCE), asyncio.Semaphore(IN_FLIGHT)

        async def one(n: int) -> tuple[str, tuple[str, ...]]:
            async with gate:
                return decision_of(await client.decide(Check(secret, body_of(n), f"a{n}", None)))

        asked = sorted(set(range(0, load.next, 10)) | in_flight)
        answers = await asyncio.gather(*(one(n) for n in asked))
        return dict(zip(asked, answers, strict=True))

    repeated = asyncio.run(again())
    assert repeated == {n: load.answered[n][1] for n in repeated}
    assert len(journal) == load.next  # each check decided, once
