"""Alerts from Prometheus Alertmanager (SRM 21-1; SRM 7-3 for the incidents they open).

Alertmanager's webhook receiver posts ``{"version": "4", "status", "alerts": [{"status":
"firing"|"resolved", "labels", "annotations", "startsAt", "endsAt", "fingerprint"}, …]}``.
Each alert is kept once per (fingerprint, startsAt); the first :class:`AlertRule` whose
matchers its labels carry names the service and what a firing alert does to it. A firing alert
opens its incident once through the incident register; its resolution puts the service back
(when nothing else holds it down) and notes the incident's timeline — the incident is closed by
people, never by the alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, gettext_noop

from mamori.core.bilingual import in_both
from mamori.core.errors import Refused
from mamori.operations.models import Alert, AlertRule, Incident
from mamori.operations.services import incidents, monitoring

__all__ = ["AlertmanagerRefused", "intake", "match"]


class AlertmanagerRefused(Refused):
    """An Alertmanager payload refused: not version 4, or an alert without what it needs."""


def _both(message: str, params: dict[str, Any]) -> str:
    ja, en = in_both(message, **params)
    return ja if ja == en else f"{ja} / {en}"


def _time(value: Any, name: str, index: int) -> datetime | None:
    text = str(value or "")
    if not text or text.startswith("0001-01-01"):
        return None
    try:
        parsed = parse_datetime(text)
    except ValueError:  # well formed, but no such day or hour
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise AlertmanagerRefused(
            "bad_alert",
            gettext("Expected an RFC 3339 time in alerts[%(index)s].%(name)s, got %(value)s.")
            % {"index": index, "name": name, "value": text[:40]},
            fields=[(f"alerts[{index}].{name}", gettext("Not a time."))],
        )
    return parsed


def match(labels: Mapping[str, str], rules: list[AlertRule] | None = None) -> AlertRule | None:
    """Return the first rule (by priority) whose matchers ``labels`` carry, or None."""
    for rule in rules if rules is not None else AlertRule.objects.select_related("service"):
        if rule.matches(dict(labels)):
            return rule
    return None


def _checked(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    if str(payload.get("version", "")) != "4":
        raise AlertmanagerRefused(
            "bad_version",
            gettext("Expected Alertmanager webhook version 4, got %(value)s.")
            % {"value": str(payload.get("version", ""))[:20]},
            fields=[("version", gettext("Unknown value."))],
        )
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise AlertmanagerRefused(
            "bad_alert",
            gettext("Expected a list of alerts."),
            fields=[("alerts", gettext("This field is required."))],
        )
    checked = []
    for index, raw in enumerate(alerts):
        if not isinstance(raw, dict) or raw.get("status") not in Alert.Status.values:
            raise AlertmanagerRefused(
                "bad_alert",
                gettext("Expected alerts[%(index)s].status firing or resolved.") % {"index": index},
                fields=[(f"alerts[{index}].status", gettext("Unknown value."))],
            )
        starts = _time(raw.get("startsAt"), "startsAt", index)
        fingerprint = str(raw.get("fingerprint", ""))[:64]
        if starts is None or not fingerprint:
            raise AlertmanagerRefused(
                "bad_alert",
                gettext("Expected alerts[%(index)s] with a fingerprint and startsAt.")
                % {"index": index},
                fields=[(f"alerts[{index}]", gettext("This field is required."))],
            )
        labels = raw.get("labels") if isinstance(raw.get("labels"), dict) else {}
        notes = raw.get("annotations") if isinstance(raw.get("annotations"), dict) else {}
        checked.append(
            {
                "fingerprint": fingerprint,
                "status": raw["status"],
                "starts_at": starts,
                "ends_at": _time(raw.get("endsAt"), "endsAt", index),
                "labels": {str(k): str(v) for k, v in (labels or {}).items()},
                "annotations": {str(k): str(v) for k, v in (notes or {}).items()},
            }
        )
    return checked


def intake(payload: Mapping[str, Any]) -> dict[str, int]:
    """Take one Alertmanager webhook payload; return counts of alerts received, new, resolved
    and incidents opened. Sending the same payload again changes nothing."""
    rows = _checked(payload)
    rules = list(AlertRule.objects.select_related("service__system"))
    counts = {"received": len(rows), "new": 0, "resolved": 0, "incidents": 0}
    for row in rows:
        with transaction.atomic():
            new, resolved, opened = _one(row, rules)
        counts["new"] += new
        counts["resolved"] += resolved
        counts["incidents"] += opened
    return counts


def _one(row: dict[str, Any], rules: list[AlertRule]) -> tuple[bool, bool, bool]:
    rule = match(row["labels"], rules)
    alert = (
        Alert.objects.select_for_update()
        .filter(fingerprint=row["fingerprint"], starts_at=row["starts_at"])
        .first()
    )
    new = alert is None
    if alert is None:
        alert = Alert.objects.create(
            fingerprint=row["fingerprint"],
            name=row["labels"].get("alertname", "")[:200],
            labels=row["labels"],
            annotations=row["annotations"],
            status=row["status"],
            starts_at=row["starts_at"],
            ends_at=row["ends_at"] if row["status"] == Alert.Status.RESOLVED else None,
            received_at=timezone.now(),
            rule=rule,
            service=rule.service if rule is not None else None,
        )
    elif alert.status == Alert.Status.RESOLVED or row["status"] == Alert.Status.FIRING:
        return False, False, False  # seen: a repeat, or a firing that arrives after its end
    else:
        alert.status = Alert.Status.RESOLVED
        alert.ends_at = row["ends_at"] or timezone.now()
        alert.save(update_fields=["status", "ends_at"])
    if alert.status == Alert.Status.FIRING:
        return new, False, _fired(alert)
    _resolved(alert)
    return new, True, False


def _fired(alert: Alert) -> bool:
    """Open the alert's incident once (when its rule says so) and recompute its service."""
    rule, opened = alert.rule, False
    if rule is not None and rule.open_incident:
        what = alert.annotations.get("summary") or alert.name or alert.fingerprint
        incident, opened = incidents.raise_incident(
            Incident.Source.WEBHOOK,
            f"alertmanager:{alert.fingerprint}:{alert.starts_at.isoformat()}",
            _both(
                gettext_noop("Monitoring alert on %(service)s: %(what)s"),
                {"service": str(rule.service), "what": what[:150]},
            ),
            rule.kind,
            location=str(rule.service),
            detected_at=alert.starts_at,
            description=alert.annotations.get("description", ""),
            systems=[rule.service.system.code],
            links=[("operations.service", str(rule.service.pk), str(rule.service))],
        )
        if opened and rule.severity and incident.severity != rule.severity:
            incidents.set_severity(incident, rule.severity, f"alert rule: {rule.name}")
        alert.incident = incident
        alert.save(update_fields=["incident"])
    if alert.service is not None:
        monitoring.recompute(
            alert.service, f"alert firing: {alert.name or alert.fingerprint}", alert.incident
        )
    return opened


def _resolved(alert: Alert) -> None:
    """Note the incident's timeline and recompute the service (the incident stays open)."""
    if alert.incident is not None:
        incidents.add_entry(
            alert.incident,
            "note",
            _both(
                gettext_noop("The monitoring alert %(what)s resolved at %(at)s."),
                {"what": alert.name or alert.fingerprint, "at": alert.ends_at.isoformat()}
                if alert.ends_at
                else {"what": alert.name or alert.fingerprint, "at": "-"},
            ),
            data={"alert": alert.pk, "fingerprint": alert.fingerprint},
        )
    if alert.service is not None:
        monitoring.recompute(alert.service, f"alert resolved: {alert.name or alert.fingerprint}")
