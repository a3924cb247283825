"""Incidents raised by mamori's own services (SRM 7-3, ISM 9-3: report at once).

Each raiser is idempotent by the incident's ``source_key``: a custody halt, a reconciliation
case, a failed audit-log verification and a new key spread-rule violation each raise one
incident, linked to the record that caused it. The bus consumers call these; a consumer that
fails logs and lets the event go, so it never fails the transaction that published it (the
outbox delivers after commit) nor loops on a bad event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_noop

from mamori.core.bilingual import in_both
from mamori.events.bus import Event
from mamori.operations.models import Incident, IncidentLink
from mamori.operations.services import incidents

__all__ = [
    "catch_up_halts",
    "consumers",
    "handle_alert",
    "raise_for_case",
    "raise_for_halt",
    "raise_for_spread",
    "raise_for_verification",
]

log = logging.getLogger("mamori.operations")


def _both(message: str, params: dict[str, Any] | None = None) -> str:
    """Return ``message`` in Japanese and English, as a record read in both languages is
    written (the incident's title and description stay as they were raised)."""
    ja, en = in_both(message, **(params or {}))
    return ja if ja == en else f"{ja} / {en}"


def _linked_incident(halt_pk: int) -> Incident | None:
    """Return the incident a halt is already linked to: a containment action (SRM 10-2) that
    ordered the halt links it to its incident in the same transaction."""
    link = (
        IncidentLink.objects.filter(object_type="custody.halt", object_key=str(halt_pk))
        .select_related("incident")
        .first()
    )
    return link.incident if link is not None else None


def raise_for_halt(halt_id: str, kind: str = Incident.Kind.SYSTEM_FAILURE) -> Incident | None:
    """Raise (once) the incident of the custody halt ``halt_id`` (ISM 27-3): its asset, the rule
    that halted and a link to the halt. Return None when there is no such halt."""
    from mamori.custody.models import Halt

    halt = Halt.objects.filter(halt_id=halt_id).first()
    if halt is None:
        return None
    label = halt.halt_id[:200]
    if halt.rule == "reconciliation":  # ordered by a reconciliation case: part of its incident
        case = _case_incident(halt.key)
        if case is not None:
            incidents.link(case, "custody.halt", str(halt.pk), label)
            return case
    ordered_for = _linked_incident(halt.pk)
    if ordered_for is not None:
        return ordered_for
    what = f"{halt.scope} {halt.key}".strip()
    incident, _new = incidents.raise_incident(
        Incident.Source.CUSTODY,
        f"custody:halt:{halt.halt_id}",
        _both(
            gettext_noop("Custody halted withdrawals: %(what)s (rule %(rule)s)"),
            {"what": what, "rule": halt.rule},
        ),
        kind,
        location=_both(gettext_noop("custody monitor")),
        detected_at=halt.started_at,
        description=_both(
            gettext_noop("The custody monitor halted %(what)s at event %(event)s."),
            {"what": what, "event": halt.event_id},
        ),
        systems=["custody"],
        assets=[halt.key] if halt.scope == "asset" else [],
        links=[("custody.halt", str(halt.pk), label)],
    )
    return incident


def _case_incident(asset: str) -> Incident | None:
    """Return the incident of the open reconciliation case of ``asset``, if it has one."""
    from mamori.reconciliation.models import Case

    case = (
        Case.objects.filter(kind=Case.Kind.DIFFERENCE, asset=asset)
        .exclude(status=Case.Status.CLOSED)
        .first()
    )
    if case is None:
        return None
    return Incident.objects.filter(source_key=f"reconciliation:case:{case.pk}").first()


def catch_up_halts() -> int:
    """Raise the incident of every halt that has none yet (a halt whose event was not
    delivered here, or made before operations listened); return how many were raised."""
    from mamori.custody.models import Halt

    raised = 0
    for pk, halt_id in Halt.objects.order_by("started_at", "pk").values_list("pk", "halt_id"):
        if not IncidentLink.objects.filter(object_type="custody.halt", object_key=str(pk)).exists():
            raised += raise_for_halt(halt_id) is not None
    return raised


def raise_for_case(case_id: int) -> Incident | None:
    """Raise (once) the incident of reconciliation case ``case_id`` (ISM 34-2) and write its
    reference into the case's incident field when that is empty."""
    from mamori.reconciliation.models import Case

    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        return None
    incident, _new = incidents.raise_incident(
        Incident.Source.RECONCILIATION,
        f"reconciliation:case:{case.pk}",
        _both(
            gettext_noop("Reconciliation difference on %(asset)s (case %(case)s)"),
            {"asset": case.asset or "-", "case": case.pk},
        ),
        Incident.Kind.SYSTEM_FAILURE,
        location=case.wallet or _both(gettext_noop("reconciliation")),
        detected_at=case.opened_at,
        description=_both(
            gettext_noop("The chain and the book differ by %(difference)s base units."),
            {"difference": case.difference},
        ),
        systems=["reconciliation"],
        assets=[case.asset],
        links=[("reconciliation.case", str(case.pk), f"case {case.pk}")],
    )
    if not case.incident_reference:
        Case.objects.filter(pk=case.pk, incident_reference="").update(
            incident_reference=incident.reference
        )
    return incident


def raise_for_verification(run_id: int) -> Incident | None:
    """Raise (once) the incident of the failed audit-log verification ``run_id`` (ISM
    23-1-2): a log that does not verify may have been tampered with."""
    from mamori.auditlog.models import VerificationRun

    run = VerificationRun.objects.filter(pk=run_id, ok=False).first()
    if run is None:
        return None
    incident, _new = incidents.raise_incident(
        Incident.Source.AUDITLOG,
        f"auditlog:verification:{run.pk}",
        _both(gettext_noop("The audit log failed verification")),
        Incident.Kind.CYBER_ATTACK,
        location=_both(gettext_noop("audit log")),
        detected_at=run.finished_at,
        description=run.problem,
        systems=["auditlog"],
        links=[("auditlog.verification", str(run.pk), f"verification {run.pk}")],
    )
    return incident


def raise_for_spread(data: dict[str, Any], event_id: str) -> Incident | None:
    """Raise (once per event) the incident of a new key spread-rule violation (ISM 28-2)."""
    wallet = str(data.get("wallet", ""))
    if not wallet:
        return None
    codes = [str(c) for c in data.get("codes", [])]
    at = parse_datetime(str(data.get("at", ""))) if data.get("at") else None
    incident, _new = incidents.raise_incident(
        Incident.Source.KEYS,
        f"keys:spread:{event_id}",
        _both(gettext_noop("Key spread rule violated: wallet %(wallet)s"), {"wallet": wallet}),
        Incident.Kind.OTHER,
        location=wallet,
        detected_at=at,
        description=", ".join(codes),
        systems=["keys"],
        assets=[str(data.get("asset", ""))],
        links=[
            ("keys.wallet", str(data.get("wallet_id", "")), wallet),
            *(("keys.finding", f"{wallet}:{code}", code) for code in codes),
        ],
    )
    return incident


def _safely(name: str, raise_: Callable[[Event], Any]) -> Callable[[Event], None]:
    """Return a handler that raises in a savepoint and logs a failure instead of looping."""

    def handle(event: Event) -> None:
        try:
            with transaction.atomic():
                raise_(event)
        except Exception:
            log.exception("%s: event %s raised no incident", name, event.event_id)

    return handle


def consumers() -> list[tuple[str, str, Callable[[Event], None]]]:
    """Return (subject, consumer, handler) of each service source, for the bus."""
    return [
        (
            "mamori.custody.halt_started",
            "operations-custody-halt",
            _safely("halt", lambda e: raise_for_halt(str(e.data.get("halt", "")))),
        ),
        (
            "mamori.reconciliation.case_opened",
            "operations-reconciliation-case",
            _safely("case", lambda e: raise_for_case(int(e.data.get("case", 0)))),
        ),
        (
            "mamori.auditlog.verification_failed",
            "operations-auditlog-verification",
            _safely("verification", lambda e: raise_for_verification(int(e.data.get("run", 0)))),
        ),
        (
            "mamori.keys.spread_violated",
            "operations-keys-spread",
            _safely("spread", lambda e: raise_for_spread(e.data, e.event_id)),
        ),
    ]


def handle_alert(event: Event) -> None:
    """Raise the incident of an alert published on ``mamori.operations.alert``; a bad alert
    is logged and acknowledged, never retried forever."""
    from mamori.core.errors import Refused
    from mamori.operations.services import alerts

    try:
        with transaction.atomic():
            incident, new = alerts.intake(event.data, "nats")
    except Refused as exc:
        log.warning("alert %s refused: %s %s", event.event_id, exc.code, exc.message)
        return
    log.info("alert %s: %s (%s)", event.event_id, incident.reference, "new" if new else "seen")
