"""Demo step of operations: every custody halt the demo made is an incident (SRM 7-3)."""

from __future__ import annotations

from typing import Any

from mamori.operations.models import Incident
from mamori.operations.services import sources


def load(report: Any) -> None:
    """Raise the incident of each demo halt not yet raised (the bus may have done it)."""
    sources.catch_up_halts()
    first = Incident.objects.filter(source=Incident.Source.CUSTODY).order_by("pk").first()
    if first is not None:
        report.lines.append(
            f"Operations: the drain's halt is incident {first.reference}, "
            f"commanded by {first.commander or 'nobody'} — see /operations/incidents/"
        )
