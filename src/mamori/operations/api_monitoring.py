"""API of operating-status monitoring (SRM 21-1).

``POST /api/operations/alertmanager`` takes Prometheus Alertmanager's webhook (version 4) —
its ``webhook_configs`` send the token of scope ``monitoring:alerts`` with
``http_config.authorization`` (``type: Bearer``, ``credentials`` or ``credentials_file``).
``POST /api/operations/heartbeats/{code}`` (scope ``monitoring:heartbeat``) is a batch job
saying it ran; ``mamori heartbeat CODE`` does the same from a shell.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from mamori.core.api import authenticated, refusals
from mamori.core.api_parser import refuse_nul
from mamori.operations.services import monitoring_alerts, monitoring_checks

__all__ = ["router"]

router = Router(tags=["operations"])


class AlertmanagerIntakeOut(Schema):
    """What one webhook delivery did: alerts received, new, resolved, incidents opened."""

    received: int
    new: int
    resolved: int
    incidents: int


class HeartbeatOut(Schema):
    """The heartbeat recorded and its service's state."""

    code: str
    last_seen: str
    service: str
    state: str


@router.post(
    "/alertmanager",
    response={200: AlertmanagerIntakeOut, **refusals(401, 403, 422)},
    auth=authenticated("monitoring:alerts"),
)
def alertmanager(request: HttpRequest) -> dict[str, int]:
    """Take Alertmanager's webhook: each alert kept once per fingerprint and start, its rule
    changing its service's state and opening (once) or noting its incident."""
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise monitoring_alerts.AlertmanagerRefused(
            "bad_alert", _("the body is not JSON")
        ) from None
    if not isinstance(data, dict):
        raise monitoring_alerts.AlertmanagerRefused("bad_alert", _("the body is not JSON"))
    refuse_nul(data)

    return monitoring_alerts.intake(data)


@router.post(
    "/heartbeats/{code}",
    response={200: HeartbeatOut, **refusals(401, 403, 404, 422)},
    auth=authenticated("monitoring:heartbeat"),
)
def heartbeat(request: HttpRequest, code: str) -> dict[str, Any]:
    """Record that the batch job of heartbeat ``code`` ran now."""
    found = monitoring_checks.beat(code)
    return {
        "code": found.code,
        "last_seen": found.last_seen.isoformat() if found.last_seen else "",
        "service": found.service.code,
        "state": found.service.state,
    }
