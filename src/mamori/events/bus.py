"""Bus interface, outbox publishing, idempotent handling, and the in-process implementation."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mamori.events.models import OutboxEvent
from mamori.events.subscriptions import (
    Event,
    Handler,
    handle_once,
    matches,
    subscribe,
    subscriptions,
)

__all__ = [
    "MAX_PENDING",
    "Bus",
    "BusBackpressure",
    "Event",
    "Handler",
    "InProcessBus",
    "InvalidSubject",
    "get_bus",
    "handle_once",
    "publish",
    "relay",
    "reset_bus",
    "subscribe",
]

log = logging.getLogger("mamori.events")
SUBJECT = re.compile(r"^mamori\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_.]*$")
MAX_PENDING = 100_000


class InvalidSubject(ValueError):
    """A subject that is not ``mamori.<app>.<event>``."""


class BusBackpressure(RuntimeError):
    """The outbox holds too many undelivered events: the broker has been away too long."""


class Bus(Protocol):
    """What a bus implementation provides to the relay and the worker."""

    def deliver(self, event: Event) -> None:
        """Hand one committed event to the broker (or the local subscribers); raise on failure."""

    def consume(self, max_messages: int, timeout: float) -> int:
        """Handle up to ``max_messages`` waiting for this process's consumers; return how many."""


def publish(subject: str, data: dict[str, Any], event_id: str | None = None) -> Event:
    """Record an event in the outbox as part of the current transaction; relay it on commit."""
    if not SUBJECT.match(subject):
        raise InvalidSubject(f"subjects are mamori.<app>.<event>, got {subject!r}")
    pending = OutboxEvent.objects.filter(published_at__isnull=True).count()
    if pending >= MAX_PENDING:
        raise BusBackpressure(
            f"{pending} events are waiting for the broker ({settings.CONFIG.nats_url or 'local'}):"
            " refusing to buffer more"
        )
    event = Event(subject, event_id or uuid.uuid4().hex, data, timezone.now())
    with transaction.atomic():
        OutboxEvent.objects.create(
            event_id=event.event_id, subject=subject, payload=data, occurred_at=event.occurred_at
        )
        transaction.on_commit(_relay_soon)
    return event


def _relay_soon() -> None:
    try:
        relay()
    except Exception:  # the scheduled relay will try again
        log.exception("relaying events failed; they stay in the outbox")


def relay(limit: int = 500) -> int:
    """Deliver undelivered outbox events in order; return how many were delivered."""
    bus = get_bus()
    delivered = 0
    rows = OutboxEvent.objects.filter(published_at__isnull=True).order_by("id")[:limit]
    for row in rows:
        event = Event(row.subject, row.event_id, row.payload, row.occurred_at)
        try:
            bus.deliver(event)
        except Exception as exc:
            OutboxEvent.objects.filter(pk=row.pk).update(
                attempts=row.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:500]
            )
            log.warning("event %s not delivered: %s", row.event_id, exc)
            break  # keep order: later events wait for this one
        OutboxEvent.objects.filter(pk=row.pk).update(
            published_at=timezone.now(), attempts=row.attempts + 1, last_error=""
        )
        delivered += 1
    return delivered


class InProcessBus:
    """Deliver to this process's subscribers, each handler idempotent by event id."""

    def deliver(self, event: Event) -> None:
        """Run every matching handler once."""
        for subscription in subscriptions():
            if matches(subscription.pattern, event.subject):
                handle_once(subscription, event)

    def consume(self, max_messages: int, timeout: float) -> int:
        """Nothing waits elsewhere: delivery happens in :meth:`deliver`."""
        return 0


_BUS: Bus | None = None


def get_bus() -> Bus:
    """Return the configured bus: NATS JetStream if ``MAMORI_NATS_URL`` is set, else in-process."""
    global _BUS
    if _BUS is None:
        if settings.CONFIG.nats_url:
            from mamori.events.nats import NatsBus

            _BUS = NatsBus(settings.CONFIG.nats_url)
        else:
            _BUS = InProcessBus()
    return _BUS


def reset_bus(bus: Bus | None = None) -> None:
    """Replace the bus (tests, or after configuration changes)."""
    global _BUS
    old = _BUS
    _BUS = bus
    close = getattr(old, "close", None)
    if close is not None and old is not bus:
        close()
