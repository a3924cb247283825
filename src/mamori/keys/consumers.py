"""The NATS consumer of backup access events (ISM 28-3-5).

Backup sites (or the system collecting their logs) publish to ``mamori.keys.in.backup_access``;
the durable consumer ``keys-backup-access`` records each event once (at-least-once delivery,
idempotent by the bus event id and by the event's own id). A malformed event is logged and
acknowledged, never retried forever.
"""

from __future__ import annotations

import logging

from mamori.core.errors import Refused
from mamori.events.bus import Event
from mamori.keys import backup_access

__all__ = ["CONSUMER", "SUBJECT", "handle_backup_access"]

SUBJECT = backup_access.SUBJECT
CONSUMER = "keys-backup-access"
log = logging.getLogger("mamori.keys")


def handle_backup_access(event: Event) -> None:
    """Record one backup access event."""
    try:
        recorded = backup_access.record(event.data, "nats")
    except Refused as exc:  # a bad event or one holding what looks like a secret
        log.warning("backup access event %s refused: %s", event.event_id, exc.code)
        return
    log.info("backup access event %s: %d new", recorded.event_id, len(recorded.new))
