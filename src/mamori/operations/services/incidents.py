"""Reporting, raising and running an incident (SRM 6-1-3, 7-3, 9; ISM 8-1-3, 9-3).

Every change goes through here and adds one :class:`TimelineEntry` in the same transaction, so
the timeline is the incident's whole history. A service raises an incident with a ``source_key``
(``custody:halt:<id>``); raising the same key again returns the incident it made, so a consumer
that sees an event twice makes one incident.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from mamori.accounts.models import RoleAssignment, User
from mamori.core.errors import Refused
from mamori.engines import incidents as engine
from mamori.operations.models import (
    Incident,
    IncidentLink,
    IncidentRole,
    SeverityRule,
    TimelineEntry,
)

__all__ = [
    "IncidentRefused",
    "add_entry",
    "add_link",
    "add_note",
    "assign_role",
    "change_status",
    "link",
    "raise_incident",
    "regrade",
    "report",
    "set_commander",
    "set_severity",
    "update_facts",
]

#: The order an incident moves in; it may skip ahead but not go back once closed.
FLOW = [s.value for s in Incident.Status]


class IncidentRefused(Refused):
    """A change to an incident refused (a closed incident, a missing field)."""


def shown_name(person: User) -> str:
    """Return a person's name as the pages show it (the full name, else the username)."""
    return person.get_full_name() or person.get_username()


def _next_reference(year: int, drill: bool) -> str:
    prefix = f"{'DRL' if drill else 'INC'}-{year}-"
    last = (
        Incident.objects.filter(reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:03d}"


def add_entry(
    incident: Incident,
    kind: str,
    text: str = "",
    by: User | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> TimelineEntry:
    """Add one entry to ``incident``'s timeline (kept; never changed)."""
    return TimelineEntry.objects.create(
        incident=incident,
        at=at or timezone.now(),
        by=by,
        kind=kind,
        text=text,
        data=data or {},
    )


def _rules() -> list[engine.SeverityRule]:
    return [
        engine.SeverityRule(rule.severity, rule.fact, Decimal(rule.at_least), rule.kind)
        for rule in SeverityRule.objects.all()
    ]


def _facts(incident: Incident) -> engine.Facts:
    return engine.Facts(
        customers_affected=incident.customers_affected,
        assets_at_risk_jpy=Decimal(incident.assets_at_risk_jpy),
        outage_minutes=incident.outage_minutes,
        records_affected=incident.records_affected,
    )


def regrade(incident: Incident, by: User | None = None) -> bool:
    """Set the severity the rules give the incident's facts; return whether it changed."""
    severity, rule = engine.grade(incident.kind, _facts(incident), _rules())
    if severity == incident.severity:
        return False
    set_severity(
        incident,
        severity,
        f"{rule.fact} ≥ {rule.at_least}" + (f" ({rule.kind})" if rule.kind else "") if rule else "",
        by,
    )
    return True


def set_severity(incident: Incident, severity: str, why: str, by: User | None = None) -> None:
    """Set ``incident``'s severity, saying what set it (a rule, or a source that gave it)."""
    before = incident.severity
    incident.severity = severity
    incident.severity_rule = why[:200]
    incident.save(update_fields=["severity", "severity_rule"])
    add_entry(
        incident,
        "severity",
        gettext("Severity %(before)s → %(after)s") % {"before": before, "after": severity},
        by,
        {"before": before, "after": severity, "rule": incident.severity_rule},
    )


def default_commander(kind: str) -> User | None:
    """Return the person who commands an incident of ``kind`` by role (SRM 6-1-3 / ISM 8-1-3):
    the longest-serving active holder of the role, or ``None`` if nobody holds it."""
    role = engine.commander_role(kind)
    holding = (
        RoleAssignment.objects.filter(
            role__code=role, revoked_at__isnull=True, user__is_active=True
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return holding.user if holding else None


def _create(
    *,
    title: str,
    location: str,
    by: User | None,
    kind: str,
    source: str,
    source_key: str | None,
    detected_at: datetime | None,
    drill: bool,
    description: str,
    facts: dict[str, Any],
    systems: Iterable[str],
    assets: Iterable[str],
) -> Incident:
    title = (title or "").strip()
    if not title:
        raise IncidentRefused(
            "title_required",
            gettext("Say what happened."),
            fields=[("title", gettext("This field is required."))],
        )
    if kind not in Incident.Kind.values:
        raise IncidentRefused(
            "unknown_kind",
            gettext("Expected a kind of incident in %(kinds)s, got %(kind)s.")
            % {"kinds": ", ".join(Incident.Kind.values), "kind": kind},
            fields=[("kind", gettext("Unknown kind."))],
        )
    now = timezone.now()
    detected = detected_at or now
    if detected > now:
        raise IncidentRefused(
            "detected_in_future",
            gettext("The detection time %(at)s is in the future.") % {"at": detected.isoformat()},
            fields=[("detected_at", gettext("In the future."))],
        )
    incident = Incident.objects.create(
        reference=_next_reference(timezone.localtime(detected).year, drill),
        title=title[:300],
        location=(location or "").strip()[:300],
        description=description,
        kind=kind,
        drill=drill,
        source=source,
        source_key=source_key,
        detected_at=detected,
        reported_by=by,
        commander=default_commander(kind),
        systems=sorted({s for s in systems if s}),
        assets=sorted({a for a in assets if a}),
        **{k: v for k, v in facts.items() if k in engine.FACTS},
        personal_data=bool(facts.get("personal_data")) or int(facts.get("records_affected", 0)) > 0,
        unauthorised_access=bool(facts.get("unauthorised_access")),
    )
    add_entry(
        incident,
        "reported",
        title,
        by,
        {"source": source, "kind": kind, "location": incident.location},
        at=now,
    )
    if incident.commander is not None:
        add_entry(
            incident,
            "commander",
            gettext("Commander: %(name)s") % {"name": shown_name(incident.commander)},
            None,
            {"commander": incident.commander.get_username(), "by_role": True},
            at=now,
        )
    regrade(incident)
    return incident


def report(
    title: str,
    location: str,
    by: User,
    kind: str = Incident.Kind.OTHER,
    detected_at: datetime | None = None,
    drill: bool = False,
    description: str = "",
    facts: dict[str, Any] | None = None,
    systems: Iterable[str] = (),
    assets: Iterable[str] = (),
) -> Incident:
    """Record an incident a person reports (SRM 7-3, ISM 9-3: report at once)."""
    with transaction.atomic():
        incident = _create(
            title=title,
            location=location,
            by=by,
            kind=kind,
            source=Incident.Source.PERSON,
            source_key=None,
            detected_at=detected_at,
            drill=drill,
            description=description,
            facts=facts or {},
            systems=systems,
            assets=assets,
        )
    _announce(incident)
    return incident


def raise_incident(
    source: str,
    source_key: str,
    title: str,
    kind: str,
    location: str = "",
    detected_at: datetime | None = None,
    description: str = "",
    facts: dict[str, Any] | None = None,
    systems: Iterable[str] = (),
    assets: Iterable[str] = (),
    links: Iterable[tuple[str, str, str]] = (),
) -> tuple[Incident, bool]:
    """Raise an incident from a service; return it and whether it is new. The same
    ``source_key`` raised again returns the incident it made (idempotent by key)."""
    existing = Incident.objects.filter(source_key=source_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            incident = _create(
                title=title,
                location=location,
                by=None,
                kind=kind,
                source=source,
                source_key=source_key,
                detected_at=detected_at,
                drill=False,
                description=description,
                facts=facts or {},
                systems=systems,
                assets=assets,
            )
            for object_type, object_key, label in links:
                link(incident, object_type, object_key, label)
    except IntegrityError:
        return Incident.objects.get(source_key=source_key), False
    _announce(incident)
    return incident, True


def _announce(incident: Incident) -> None:
    """Publish the new incident (``mamori.operations.incident_reported``) after commit."""
    from mamori.events.bus import publish

    publish(
        "mamori.operations.incident_reported",
        {
            "incident": incident.reference,
            "kind": incident.kind,
            "severity": incident.severity,
            "drill": incident.drill,
            "source": incident.source,
            "detected_at": incident.detected_at.isoformat(),
        },
        event_id=f"incident-reported-{incident.reference}",
    )


def _refuse_if_closed(incident: Incident) -> None:
    if incident.status == Incident.Status.CLOSED:
        raise IncidentRefused(
            "incident_closed",
            gettext("%(reference)s is closed; it can no longer change.")
            % {"reference": incident.reference},
            status=409,
        )


def link(
    incident: Incident,
    object_type: str,
    object_key: str,
    label: str = "",
    by: User | None = None,
) -> IncidentLink:
    """Link ``incident`` to a record it concerns (once per record), on the timeline."""
    found, created = IncidentLink.objects.get_or_create(
        incident=incident,
        object_type=object_type,
        object_key=str(object_key),
        defaults={"label": label[:200]},
    )
    if created:
        add_entry(
            incident,
            "link",
            label or f"{object_type} {object_key}",
            by,
            {"object_type": object_type, "object_key": str(object_key)},
        )
    return found


def change_status(incident: Incident, status: str, by: User, note: str = "") -> Incident:
    """Move ``incident`` to ``status``. Closing is refused here when a hook says it is not
    ready (the post-incident review of a severe incident, SRM 9)."""
    if status not in FLOW:
        raise IncidentRefused(
            "unknown_status",
            gettext("Expected a status in %(statuses)s, got %(status)s.")
            % {"statuses": ", ".join(FLOW), "status": status},
        )
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        _refuse_if_closed(incident)
        if status == Incident.Status.CLOSED:
            for check in _close_checks:
                check(incident)
            incident.closed_at = timezone.now()
        before = incident.status
        incident.status = status
        incident.save(update_fields=["status", "closed_at"])
        add_entry(
            incident,
            "status",
            note
            or gettext("Status %(before)s → %(after)s")
            % {"before": Incident.Status(before).label, "after": Incident.Status(status).label},
            by,
            {"before": before, "after": status},
        )
    return incident


#: Checks run before an incident closes; each raises :class:`IncidentRefused` to refuse.
_close_checks: list[Any] = []


def register_close_check(check: Any) -> None:
    """Add a check run before an incident closes (it raises ``IncidentRefused`` to refuse)."""
    if check not in _close_checks:
        _close_checks.append(check)


def set_commander(incident: Incident, person: User, by: User) -> Incident:
    """Hand the command of ``incident`` to ``person``."""
    with transaction.atomic():
        _refuse_if_closed(incident)
        incident.commander = person
        incident.save(update_fields=["commander"])
        add_entry(
            incident,
            "commander",
            gettext("Commander: %(name)s") % {"name": shown_name(person)},
            by,
            {"commander": person.get_username()},
        )
    return incident


def assign_role(incident: Incident, role: str, person: User, by: User) -> IncidentRole:
    """Put ``person`` in ``role`` (communications, technical lead, scribe) of the response."""
    if role not in IncidentRole.Role.values:
        raise IncidentRefused(
            "unknown_role",
            gettext("Expected a role in %(roles)s, got %(role)s.")
            % {"roles": ", ".join(IncidentRole.Role.values), "role": role},
        )
    with transaction.atomic():
        _refuse_if_closed(incident)
        held, _created = IncidentRole.objects.update_or_create(
            incident=incident, role=role, defaults={"person": person}
        )
        add_entry(
            incident,
            "role",
            gettext("%(role)s: %(name)s")
            % {"role": held.get_role_display(), "name": shown_name(person)},
            by,
            {"role": role, "person": person.get_username()},
        )
    return held


def update_facts(incident: Incident, facts: dict[str, Any], by: User) -> Incident:
    """Record what is now known of the impact and regrade the severity by the rules."""
    with transaction.atomic():
        _refuse_if_closed(incident)
        changed: dict[str, Any] = {}
        for name in (*engine.FACTS, "personal_data", "unauthorised_access", "kind"):
            if name in facts and facts[name] is not None and getattr(incident, name) != facts[name]:
                changed[name] = str(facts[name])
                setattr(incident, name, facts[name])
        if not changed:
            return incident
        if incident.records_affected > 0:
            incident.personal_data = True
        incident.save()
        add_entry(incident, "facts", gettext("Impact updated"), by, changed)
        regrade(incident, by)
    return incident


def add_note(incident: Incident, text: str, by: User) -> TimelineEntry:
    """Add a person's note to the timeline of an open incident."""
    text = (text or "").strip()
    if not text:
        raise IncidentRefused(
            "note_required",
            gettext("Write the note."),
            fields=[("text", gettext("This field is required."))],
        )
    with transaction.atomic():
        _refuse_if_closed(incident)
        return add_entry(incident, "note", text, by)


def add_link(
    incident: Incident, object_type: str, object_key: str, label: str, by: User
) -> IncidentLink:
    """Link an open incident to a record a person names (``app.model`` and its key)."""
    object_type, object_key = object_type.strip().lower(), object_key.strip()
    app, _dot, model = object_type.partition(".")
    if not (app and model and app.replace("_", "").isalnum() and model.isalnum() and object_key):
        raise IncidentRefused(
            "bad_link",
            gettext("Expected a record type as app.model and its key, got %(type)s %(key)s.")
            % {"type": object_type or "-", "key": object_key or "-"},
            fields=[("object_type", gettext("app.model"))],
        )
    with transaction.atomic():
        _refuse_if_closed(incident)
        return link(incident, object_type, object_key, label, by)
