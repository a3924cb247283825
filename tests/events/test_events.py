"""The event bus: outbox in the transaction, idempotent consumers, NATS JetStream for real."""

from __future__ import annotations

import os
import time
import uuid

import pytest
from django.db import transaction

from mamori.events import bus, subscriptions
from mamori.events.bus import BusBackpressure, Event, InvalidSubject, publish, relay, subscribe
from mamori.events.models import OutboxEvent, ProcessedEvent
from mamori.testing.pytest_plugin import need_service

NATS_URL = os.environ.get("MAMORI_TEST_NATS_URL", "nats://127.0.0.1:4222")


@pytest.fixture
def handled():
    seen: list[Event] = []
    saved = list(subscriptions._SUBSCRIPTIONS)
    subscriptions._SUBSCRIPTIONS.clear()
    subscribe("mamori.test.*", "test-consumer", seen.append)
    bus.reset_bus(bus.InProcessBus())
    yield seen
    subscriptions._SUBSCRIPTIONS.clear()
    subscriptions._SUBSCRIPTIONS.extend(saved)
    bus.reset_bus(None)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_event_is_delivered_once_after_its_transaction_commits(handled) -> None:
    with transaction.atomic():
        event = publish("mamori.test.thing", {"n": 1})
        assert handled == []  # not before commit
    assert [e.event_id for e in handled] == [event.event_id]
    assert OutboxEvent.objects.get().published_at is not None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rolled_back_change_publishes_nothing(handled) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        publish("mamori.test.thing", {"n": 1})
        raise RuntimeError("the change failed")
    relay()
    assert handled == [] and not OutboxEvent.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_redelivered_event_is_handled_once(handled) -> None:
    event = publish("mamori.test.thing", {"n": 1})
    bus.get_bus().deliver(event)  # delivered again, e.g. after a crash before marking it
    assert len(handled) == 1
    assert ProcessedEvent.objects.filter(event_id=event.event_id).count() == 1


@pytest.mark.django_db
def test_subjects_must_follow_the_convention() -> None:
    with pytest.raises(InvalidSubject):
        publish("custody.halt", {})
    with pytest.raises(InvalidSubject):
        publish("mamori.Custody.halt", {})


@pytest.mark.django_db
def test_the_outbox_refuses_to_grow_past_its_bound(handled, monkeypatch) -> None:
    class Down:
        def deliver(self, event: Event) -> None:
            raise ConnectionError("broker unreachable")

        def consume(self, max_messages: int, timeout: float) -> int:
            return 0

    bus.reset_bus(Down())
    monkeypatch.setattr(bus, "MAX_PENDING", 3)
    for n in range(3):
        publish("mamori.test.thing", {"n": n})
        relay()
    row = OutboxEvent.objects.first()
    assert row.published_at is None and "unreachable" in row.last_error and row.attempts >= 1
    with pytest.raises(BusBackpressure, match="3 events are waiting"):
        publish("mamori.test.thing", {"n": 4})
    assert OutboxEvent.objects.count() == 3  # nothing dropped, nothing extra


def test_patterns_match_like_nats() -> None:
    assert subscriptions.matches("mamori.custody.*", "mamori.custody.halt")
    assert not subscriptions.matches("mamori.custody.*", "mamori.custody.halt.lifted")
    assert subscriptions.matches("mamori.>", "mamori.custody.halt.lifted")
    assert not subscriptions.matches("mamori.audit.*", "mamori.custody.halt")


@pytest.fixture
def nats_bus(handled):
    need_service("NATS", NATS_URL)
    from mamori.events.nats import NatsBus

    tag = uuid.uuid4().hex[:8]
    real = NatsBus(NATS_URL, stream=f"MAMORI_T{tag}", prefix=f"t{tag}")
    real.ensure_stream()
    bus.reset_bus(real)
    yield real
    real.delete_stream()
    bus.reset_bus(None)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_events_go_through_jetstream_to_a_durable_consumer(nats_bus, handled) -> None:
    first = publish("mamori.test.thing", {"n": 1})
    second = publish("mamori.test.other", {"n": 2})
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 0
    assert handled == []  # not handled in-process: it went to NATS
    assert nats_bus.consume(10, 2.0) == 2
    assert [e.event_id for e in handled] == [first.event_id, second.event_id]
    assert handled[0].data == {"n": 1}
    assert nats_bus.consume(10, 0.5) == 0  # acknowledged: nothing comes back


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_idle_consumers_do_not_hold_up_a_busy_one(nats_bus, handled) -> None:
    for n in range(4):  # four consumers with nothing to do
        subscribe(f"mamori.idle{n}.*", f"idle-{n}", handled.append)
    nats_bus.consume(10, 1.0)  # the consumers are set up on the broker
    event = publish("mamori.test.thing", {"n": 1})
    began = time.monotonic()
    assert nats_bus.consume(10, 1.0) == 1
    took = time.monotonic() - began
    assert [e.event_id for e in handled] == [event.event_id]
    assert took < 4.5  # one wait of at most 1 s for all five, not five waits (5 s)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_jetstream_deduplicates_and_consumers_are_idempotent(nats_bus, handled) -> None:
    event = publish("mamori.test.thing", {"n": 1})
    nats_bus.deliver(event)  # the relay crashed before marking it: sent twice, same id
    nats_bus.deliver(event)
    assert nats_bus.consume(10, 2.0) == 1
    assert len(handled) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failing_handler_gets_the_event_again(nats_bus) -> None:
    attempts: list[str] = []
    subscriptions._SUBSCRIPTIONS.clear()

    def flaky(event: Event) -> None:
        attempts.append(event.event_id)
        if len(attempts) == 1:
            raise RuntimeError("database busy")

    subscribe("mamori.test.*", "flaky-consumer", flaky)
    publish("mamori.test.thing", {"n": 1})
    assert nats_bus.consume(10, 2.0) == 0
    deadline = time.monotonic() + 30  # the nak asked for redelivery after 5 s
    redelivered = 0
    while not redelivered and time.monotonic() < deadline:
        redelivered = nats_bus.consume(10, 1.0)
    assert redelivered == 1
    assert len(attempts) == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_nats_outage_keeps_events_until_the_broker_is_back(handled) -> None:
    need_service("NATS", NATS_URL)
    from mamori.events.nats import NatsBus

    tag = uuid.uuid4().hex[:8]
    down = NatsBus("nats://127.0.0.1:9", stream=f"MAMORI_T{tag}", prefix=f"t{tag}", timeout=1)
    bus.reset_bus(down)
    event = publish("mamori.test.thing", {"n": 1})
    row = OutboxEvent.objects.get(event_id=event.event_id)
    assert row.published_at is None and row.last_error
    up = NatsBus(NATS_URL, stream=f"MAMORI_T{tag}", prefix=f"t{tag}")
    bus.reset_bus(up)
    try:
        assert relay() == 1
        assert up.consume(10, 2.0) == 1
        assert [e.event_id for e in handled] == [event.event_id]
    finally:
        up.delete_stream()
        bus.reset_bus(None)
