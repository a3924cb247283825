"""Alerts from outside raise incidents (SRM 7-3, ISM 9-3): a monitoring system, a SIEM or a
provider posts a signed webhook (``POST /api/operations/alerts``) or publishes on the NATS
subject ``mamori.operations.alert``. Both carry ``{source, key, title, kind, severity?,
location, detected_at, systems, assets}``; an alert is one incident per ``(source, key)``.

A webhook is signed like mamori's own: headers ``X-Mamori-Source: <source>``,
``X-Mamori-Timestamp: <Unix seconds>`` (within five minutes) and ``X-Mamori-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`` with the source's secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from mamori.accounts.models import User
from mamori.core import crypto, signed_webhooks
from mamori.core.errors import Refused
from mamori.core.signed_webhooks import sign
from mamori.operations.models import AlertSource, Incident
from mamori.operations.services import incidents

__all__ = ["SUBJECT", "AlertRefused", "authenticate", "intake", "rotate_secret", "sign"]

SUBJECT = "mamori.operations.alert"
LISTS = ("systems", "assets")


class AlertRefused(Refused):
    """An alert from outside refused: a bad signature, a stale timestamp or a bad body."""


def rotate_secret(code: str, name: str = "", by: User | None = None) -> tuple[AlertSource, str]:
    """Create source ``code`` or replace its secret; return it and the secret (shown once)."""
    return signed_webhooks.rotate_secret(AlertSource, {"code": code}, by, "alert", name=name)


def _unauthorised(code: str, message: str) -> AlertRefused:
    return AlertRefused(code, message, status=401)


def authenticate(
    code: str, timestamp: str, signature: str, body: bytes, now: datetime | None = None
) -> AlertSource:
    """Return the source whose secret signed ``body`` at ``timestamp``; refuse (401, with the
    reason) an unknown source, a missing or stale timestamp, a bad signature."""
    source = AlertSource.objects.filter(code=code, active=True).first() if code else None
    if source is None:
        raise _unauthorised(
            "unknown_source",
            gettext("source %(source)s has no alert secret: create one on the alert sources page")
            % {"source": code[:50] or "-"},
        )
    signed_webhooks.verify(
        crypto.decrypt(source.secret_encrypted), timestamp, signature, body, _unauthorised, now
    )
    return source


def _text(data: Mapping[str, Any], name: str, limit: int, required: bool = True) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise AlertRefused(
            "bad_alert",
            gettext("expected %(field)s as text, got %(value)s")
            % {"field": name, "value": repr(value)[:60]},
            fields=[(name, gettext("This field is required."))],
        )
    if len(value) > limit:
        raise AlertRefused(
            "bad_alert",
            gettext("%(field)s is longer than %(limit)d characters")
            % {"field": name, "limit": limit},
            fields=[(name, gettext("Too long."))],
        )
    return value.strip()


def _parse(data: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise AlertRefused("bad_alert", gettext("the alert must be a JSON object"))
    parsed: dict[str, Any] = {
        "source": _text(data, "source", 50),
        "key": _text(data, "key", 120),
        "title": _text(data, "title", 300),
        "location": _text(data, "location", 300, required=False),
    }
    kind = data.get("kind", Incident.Kind.OTHER)
    if kind not in Incident.Kind.values:
        raise AlertRefused(
            "bad_alert",
            gettext("expected a kind of incident in %(kinds)s, got %(kind)s")
            % {"kinds": ", ".join(Incident.Kind.values), "kind": repr(kind)[:40]},
            fields=[("kind", gettext("Unknown kind."))],
        )
    parsed["kind"] = kind
    severity = data.get("severity") or ""
    if severity and severity not in Incident.Severity.values:
        raise AlertRefused(
            "bad_alert",
            gettext("expected a severity in %(severities)s, got %(severity)s")
            % {"severities": ", ".join(Incident.Severity.values), "severity": repr(severity)[:20]},
            fields=[("severity", gettext("Unknown severity."))],
        )
    parsed["severity"] = severity
    detected = data.get("detected_at")
    at = parse_datetime(detected) if isinstance(detected, str) else None
    if at is None or at.tzinfo is None:
        raise AlertRefused(
            "bad_alert",
            gettext("expected detected_at as an ISO 8601 time with its offset, got %(value)s")
            % {"value": repr(detected)[:60]},
            fields=[("detected_at", gettext("A time with its offset is required."))],
        )
    parsed["detected_at"] = at
    for name in LISTS:
        items = data.get(name, [])
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise AlertRefused(
                "bad_alert",
                gettext("expected %(field)s as a list of text") % {"field": name},
                fields=[(name, gettext("A list of text is required."))],
            )
        parsed[name] = [i.strip()[:100] for i in items[:50]]
    return parsed


def intake(data: Mapping[str, Any], channel: str, source: AlertSource | None = None) -> Any:
    """Raise the incident of one alert; return ``(incident, new)``. A webhook's alert must
    name the source that signed it; the same ``(source, key)`` again raises nothing."""
    parsed = _parse(data)
    if source is not None and parsed["source"] != source.code:
        raise AlertRefused(
            "source_mismatch",
            gettext("the alert names source %(named)s but %(signed)s signed it")
            % {"named": parsed["source"], "signed": source.code},
            status=403,
            fields=[("source", gettext("Not the signing source."))],
        )
    if (
        source is None
        and not AlertSource.objects.filter(code=parsed["source"], active=True).exists()
    ):
        raise AlertRefused(  # on NATS too only a registered, active source raises incidents
            "unknown_source",
            gettext("source %(source)s is not a registered, active alert source")
            % {"source": parsed["source"][:50]},
            status=403,
            fields=[("source", gettext("Unknown source."))],
        )
    where = Incident.Source.WEBHOOK if channel == "webhook" else Incident.Source.NATS
    with transaction.atomic():
        incident, new = incidents.raise_incident(
            where,
            f"alert:{parsed['source']}:{parsed['key']}",
            parsed["title"],
            parsed["kind"],
            location=parsed["location"],
            detected_at=parsed["detected_at"],
            systems=parsed["systems"],
            assets=parsed["assets"],
        )
        if new and parsed["severity"] and parsed["severity"] != incident.severity:
            given = gettext("given by %(source)s") % {"source": parsed["source"]}
            incidents.set_severity(incident, parsed["severity"], given)
    return incident, new
