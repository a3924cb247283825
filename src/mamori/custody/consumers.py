"""The NATS JetStream consumer of the exchange's deposit, withdrawal and balance streams.

Producers publish to ``mamori.custody.in.<type>``; the durable consumer ``custody-monitor``
decides each event once (at-least-once delivery, idempotent by the bus event id and by the
monitor's event id). A malformed event is logged and acknowledged, never retried forever.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from mamori.custody.services import inbound, monitor
from mamori.events.bus import Event

__all__ = ["SUBJECT", "handle_inbound"]

SUBJECT = "mamori.custody.in.>"
log = logging.getLogger("mamori.custody")


def handle_inbound(event: Event) -> None:
    """Decide one inbound event."""
    try:
        parsed = inbound.parse(event.data, timezone.now())
    except ValueError as exc:
        log.warning("custody event %s refused: %s", event.event_id, exc)
        return
    decision = monitor.decide(parsed, timezone.now())
    log.info("custody event %s: %s", parsed.id, decision.action)
