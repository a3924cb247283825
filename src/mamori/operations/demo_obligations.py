"""The demo's reports of INC-2026-001, yesterday's BTC drain (SRM 6-1-3, ISM 8-1-3): the first
report to the authorities sent by the system general manager, the final report still due."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from mamori.accounts.models import User
from mamori.operations.models import Incident, Obligation
from mamori.operations.services import obligations

__all__ = ["demo_obligations"]

#: The demo's system general manager (accounts.demo).
SENDER = "takahashi"


def demo_obligations(incident: Incident) -> None:
    """Make ``incident``'s reports and mark the first report to the authorities sent by the
    system general manager two hours after detection (idempotent)."""
    obligations.evaluate(incident)
    sender = User.objects.filter(username=SENDER).first()
    first = (
        Obligation.objects.filter(incident=incident)
        .filter(recipient="authority", stage="first", status=Obligation.Status.DUE)
        .first()
    )
    if sender is None or first is None:
        return
    sent_at = min(incident.detected_at + timedelta(hours=2), timezone.now())
    obligations.mark_sent(
        first,
        sender,
        sent_at,
        sender,
        channel="金融庁 電子申請 / FSA e-filing",
        reference="FSA-2026-0001",
    )
