"""The state of monitored services (SRM 21-1): one place decides it from every signal.

A service is *down* when a firing alert's rule says down, a probe failed its set number of
times in a row or a heartbeat missed its window; *degraded* when only a degrading alert fires;
*up* otherwise, once any signal has been seen. Each change closes the current
:class:`ServiceState` period and opens the next, saying what caused it.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mamori.operations.models import (
    Alert,
    Heartbeat,
    Incident,
    MonitoredService,
    Probe,
    ServiceState,
)

__all__ = ["assessed", "recompute", "set_state"]

State = MonitoredService.State


def assessed(service: MonitoredService) -> str:
    """Return the state every signal of ``service`` together says it is in."""
    firing = Alert.objects.filter(service=service, status=Alert.Status.FIRING)
    if firing.filter(Q(rule__isnull=True) | Q(rule__state=State.DOWN)).exists():
        return State.DOWN.value
    worst = State.DEGRADED.value if firing.exists() else State.UP.value
    failing = Probe.objects.filter(
        service=service,
        active=True,
        consecutive_failures__gt=0,
    )
    if any(p.consecutive_failures >= max(p.failures_before_down, 1) for p in failing):
        return State.DOWN.value
    if Heartbeat.objects.filter(service=service, missed=True).exists():
        return State.DOWN.value
    return worst


def set_state(
    service: MonitoredService, state: str, cause: str, incident: Incident | None = None
) -> bool:
    """Put ``service`` in ``state`` from now, saying why; return whether it changed."""
    with transaction.atomic():
        locked = MonitoredService.objects.select_for_update().get(pk=service.pk)
        if locked.state == state:
            return False
        now = timezone.now()
        ServiceState.objects.filter(service=locked, ended_at__isnull=True).update(ended_at=now)
        ServiceState.objects.create(
            service=locked,
            state=state,
            started_at=now,
            cause=cause[:300],
            incident=incident,
        )
        locked.state = state
        locked.state_since = now
        locked.save(update_fields=["state", "state_since"])
    service.state, service.state_since = locked.state, locked.state_since
    return True


def recompute(service: MonitoredService, cause: str, incident: Incident | None = None) -> bool:
    """Set ``service``'s state to what its signals say, with ``cause``; return whether it
    changed."""
    return set_state(service, assessed(service), cause, incident)
