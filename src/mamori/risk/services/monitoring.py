"""Monitoring: results of automated controls raise or flag the risks linked to them
(ISM 12-3 検証, 12-4 継続的改善).

Signals arrive from the bus (a custody halt, a reconciliation that did not match) or from a
service through the API; each is taken once by its event id.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from mamori.engines.risk import raised
from mamori.events.bus import Event
from mamori.risk.models import Assessment, MonitoringLink, RiskScenario, Signal
from mamori.risk.services import RiskRefused, scenarios

__all__ = ["on_custody_halt", "on_reconciliation", "take"]


def take(event_id: str, kind: str, summary: str, details: dict[str, Any]) -> Signal | None:
    """Apply a signal to every linked scenario of the newest assessment (in progress or
    completed: monitoring goes on after the analysis); return None if ``event_id`` was already
    taken."""
    if kind not in MonitoringLink.Kind.values:
        raise RiskRefused("bad_signal", f"signal kind is one of {MonitoringLink.Kind.values}")
    if not event_id.strip():
        raise RiskRefused("bad_signal", "a signal carries the id of the event it reports")
    try:
        with transaction.atomic():
            signal = Signal.objects.create(
                event_id=event_id, kind=kind, summary=summary[:500], details=details
            )
            touched = []
            latest = Assessment.newest()
            links = MonitoringLink.objects.filter(
                kind=kind, scenario__assessment=latest
            ).select_related("scenario__assessment__matrix")
            for link in links:
                touched.append(_apply(link, signal))
            signal.scenarios = touched
            signal.save(update_fields=["scenarios"])
    except IntegrityError:
        return None
    return signal


def _apply(link: MonitoringLink, signal: Signal) -> str:
    scenario: RiskScenario = link.scenario
    reason = f"signal {signal.kind} {signal.event_id}: {signal.summary}"
    if link.effect == MonitoringLink.Effect.RAISE:
        matrix = scenario.assessment.matrix.matrix()
        higher = raised(matrix, scenario.rating("current"), link.steps)
        scenarios.rate(scenario, "current", higher, reason, None, "signal")
        scenario.refresh_from_db()
    scenario.needs_review = True
    scenario.flagged_at = scenario.flagged_at or timezone.now()
    scenario.review_reason = f"{scenario.review_reason}\n{reason}".strip()[-4000:]
    scenario.save(update_fields=["needs_review", "flagged_at", "review_reason", "updated_at"])
    return scenario.code


def on_custody_halt(event: Event) -> None:
    """A custody halt: a threshold was breached (ISM 27-3)."""
    data = event.data
    take(
        event.event_id,
        MonitoringLink.Kind.CUSTODY_HALT,
        f"custody halt {data.get('scope', '')} {data.get('key', '')} by {data.get('rule', '')}",
        data,
    )


def on_reconciliation(event: Event) -> None:
    """A reconciliation run that did not match (ISM 34)."""
    if event.data.get("status") == "matched":
        return
    take(
        event.event_id,
        MonitoringLink.Kind.RECONCILIATION,
        f"reconciliation run {event.data.get('run')} {event.data.get('status')}",
        event.data,
    )
