"""The maintenance calendar as iCalendar (RFC 5545) feeds (SRM 13-2).

The public feed holds only maintenance whose customer notice is published, with what
customers read (title and text in Japanese or English). The staff feed holds every maintenance
not cancelled, with its status, systems and internal details.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from icalendar import Calendar, Event

from mamori.operations.models import Maintenance

__all__ = ["feed"]

PRODID = "-//mamori//maintenance calendar//EN"


def _event(maintenance: Maintenance, language: str, domain: str, internal: bool) -> Event:
    event = Event()
    event.add("uid", f"maintenance-{maintenance.pk}@{domain}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", maintenance.planned_start)
    event.add("dtend", maintenance.planned_end)
    event.add("summary", maintenance.title(language))
    description = maintenance.description(language)
    if internal:
        systems = ", ".join(s.code for s in maintenance.systems.all())
        lines = [
            description,
            f"{maintenance.reference} · {maintenance.status} · {maintenance.kind}",
            f"systems: {systems}",
        ]
        if maintenance.internal_notes:
            lines.append(maintenance.internal_notes)
        if maintenance.exception:
            lines.append(f"exception: {maintenance.exception_reason}")
        description = "\n".join(lines)
        event.add("categories", [maintenance.kind])
    event.add("description", description)
    if maintenance.notice_published_at is not None:
        event.add("created", maintenance.notice_published_at)
    event.add(
        "status",
        "CANCELLED" if maintenance.status == Maintenance.Status.CANCELLED else "CONFIRMED",
    )
    return event


def feed(
    rows: Iterable[Maintenance],
    language: str,
    domain: str,
    *,
    internal: bool = False,
) -> bytes:
    """Return ``rows`` as an iCalendar document in ``language`` (ja or en)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    name = "Maintenance" if language == "en" else "メンテナンス"
    calendar.add("x-wr-calname", f"{name} (internal)" if internal else name)
    for maintenance in rows:
        calendar.add_component(_event(maintenance, language, domain, internal))
    return bytes(calendar.to_ical())
