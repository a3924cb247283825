"""Events and their durable consumers: what a bus delivers and who handles it, once.

Below both buses (in-process and NATS JetStream, :mod:`mamori.events.bus` and
:mod:`mamori.events.nats`), so the NATS bus never imports the module that chooses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from mamori.events.models import ProcessedEvent

__all__ = [
    "Event",
    "Handler",
    "Subscription",
    "handle_once",
    "matches",
    "subscribe",
    "subscriptions",
]


@dataclass(frozen=True)
class Event:
    """One event: a subject, a unique id, JSON data and when it happened."""

    subject: str
    event_id: str
    data: dict[str, Any]
    occurred_at: datetime


Handler = Callable[[Event], None]


@dataclass(frozen=True)
class Subscription:
    """A durable consumer of a subject pattern (``*`` one token, ``>`` the rest)."""

    pattern: str
    consumer: str
    handler: Handler


_SUBSCRIPTIONS: list[Subscription] = []


def matches(pattern: str, subject: str) -> bool:
    """Return whether NATS-style ``pattern`` matches ``subject``."""
    wanted, tokens = pattern.split("."), subject.split(".")
    for index, part in enumerate(wanted):
        if part == ">":
            return len(tokens) > index
        if index >= len(tokens) or (part != "*" and part != tokens[index]):
            return False
    return len(tokens) == len(wanted)


def subscribe(pattern: str, consumer: str, handler: Handler) -> None:
    """Register ``handler`` as durable consumer ``consumer`` of ``pattern`` (idempotent)."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", consumer):
        raise ValueError(f"consumer names are lowercase words, got {consumer!r}")
    for existing in _SUBSCRIPTIONS:
        if existing.consumer == consumer:
            return
    _SUBSCRIPTIONS.append(Subscription(pattern, consumer, handler))


def subscriptions() -> list[Subscription]:
    """Return the registered subscriptions."""
    return list(_SUBSCRIPTIONS)


def handle_once(subscription: Subscription, event: Event) -> bool:
    """Run the handler unless this consumer already handled the event; return if it ran.

    The record of handling and the handler's own writes commit together, so a crash between
    them leaves neither and the redelivered event is handled then.
    """
    try:
        with transaction.atomic():
            ProcessedEvent.objects.create(consumer=subscription.consumer, event_id=event.event_id)
            subscription.handler(event)
    except IntegrityError:
        return False
    return True
