"""Deployment events as GitHub Actions and GitLab CI send them (SRM 19, 20), normalised.

The deploy gate gives *go* for one artifact digest; a deployment that reaches production
without a *go* for its digest is a finding. These events say what was deployed where:

- GitHub ``deployment_status`` webhook: ``deployment.sha``, ``deployment.environment``,
  ``deployment_status.state`` and ``created_at``, ``repository.full_name``; the artifact digest
  from ``deployment.payload`` (an object, or JSON text of one) under ``artifact_digest``,
  ``digest`` or ``image_digest``.
- GitLab Deployment Hook: ``object_kind`` ``deployment``, ``status``, ``status_changed_at``,
  ``environment``, ``project.path_with_namespace``, the commit from ``sha``, the end of
  ``commit_url``, or ``short_sha``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO

from mamori.engines.evidence._json import with_items
from mamori.engines.evidence.errors import EvidenceRefused
from mamori.engines.evidence.source import Evidence, MeasuredReader, drain

__all__ = ["STATES", "DeploymentEvent", "parse_deployment", "read_deployment"]

#: Normalised states; a provider's own word is kept in ``DeploymentEvent.raw_state``.
STATES = ("queued", "pending", "in_progress", "success", "failure", "error", "canceled", "inactive")

_GITLAB_STATES = {
    "created": "queued",
    "running": "in_progress",
    "success": "success",
    "failed": "failure",
    "canceled": "canceled",
    "blocked": "pending",
    "skipped": "canceled",
}
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_SHA = re.compile(r"[0-9a-f]{7,64}")


@dataclass(frozen=True)
class DeploymentEvent:
    """A deployment of ``commit`` (and ``artifact_digest`` if stated) to an environment."""

    source: str
    system: str
    environment: str
    commit: str
    artifact_digest: str | None
    state: str
    raw_state: str
    at: datetime
    deployment_id: str


def parse_deployment(
    stream: BinaryIO, *, limit: int = 4 * 1024 * 1024
) -> Evidence[DeploymentEvent]:
    """Normalise a GitHub or GitLab deployment webhook body read from ``stream``."""
    reader = MeasuredReader(stream, limit)
    event = read_deployment(reader)
    return Evidence(f"{event.source}-deployment", reader.sha256, reader.size, event)


def read_deployment(reader: MeasuredReader) -> DeploymentEvent:
    """Normalise the webhook body ``reader`` yields (see :func:`parse_deployment`)."""
    body: Any = None
    for _prefix, _event, value in with_items(reader, ""):
        body = value
    drain(reader)
    if not isinstance(body, dict):
        raise EvidenceRefused("wrong_shape", "expected a webhook object", "$")
    if body.get("object_kind") == "deployment":
        return _gitlab(body)
    if isinstance(body.get("deployment_status"), dict) and isinstance(body.get("deployment"), dict):
        return _github(body)
    raise EvidenceRefused(
        "wrong_shape", "expected a GitHub deployment_status or a GitLab deployment hook", "$"
    )


def _text(body: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = body.get(key)
    if value is None and not required:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or (required and not value):
        raise EvidenceRefused(
            "wrong_shape", f"expected a string, got {type(value).__name__}", f"{where}.{key}"
        )
    return value[:500]


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _time(text: str, where: str) -> datetime:
    for pattern in (
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S.%f%z",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M:%S %Z",
    ):
        try:
            at = datetime.strptime(text.replace("Z", "+0000").replace("UTC", "+0000"), pattern)
        except ValueError:
            continue
        return at.astimezone(UTC)
    raise EvidenceRefused(
        "wrong_shape", f"expected a time with its offset, got {text[:40]!r}", where
    )


def _digest(payload: Any) -> str | None:
    if isinstance(payload, str) and payload.strip().startswith("{"):
        try:
            payload = json.loads(payload[:100_000])
        except (ValueError, RecursionError):
            return None
    if not isinstance(payload, dict):
        return None
    for key in ("artifact_digest", "digest", "image_digest"):
        value = payload.get(key)
        if isinstance(value, str) and _DIGEST.fullmatch(value.lower()):
            return value.lower()
    return None


def _github(body: dict[str, Any]) -> DeploymentEvent:
    deployment, status = body["deployment"], body["deployment_status"]
    repository = _object(body.get("repository"))
    state = _text(status, "state", "$.deployment_status").lower()
    if state not in STATES:
        raise EvidenceRefused(
            "wrong_shape",
            f"expected a state in {', '.join(STATES)}, got {state!r}",
            "$.deployment_status.state",
        )
    sha = _text(deployment, "sha", "$.deployment").lower()
    if not _SHA.fullmatch(sha):
        raise EvidenceRefused(
            "wrong_shape", f"expected a commit hash, got {sha[:40]!r}", "$.deployment.sha"
        )
    when = _text(status, "created_at", "$.deployment_status", required=False) or _text(
        deployment, "created_at", "$.deployment"
    )
    return DeploymentEvent(
        source="github",
        system=_text(repository, "full_name", "$.repository", required=False),
        environment=_text(status, "environment", "$.deployment_status", required=False)
        or _text(deployment, "environment", "$.deployment"),
        commit=sha,
        artifact_digest=_digest(deployment.get("payload")),
        state=state,
        raw_state=state,
        at=_time(when, "$.deployment_status.created_at"),
        deployment_id=_text(deployment, "id", "$.deployment", required=False),
    )


def _gitlab(body: dict[str, Any]) -> DeploymentEvent:
    raw = _text(body, "status", "$").lower()
    if raw not in _GITLAB_STATES:
        raise EvidenceRefused(
            "wrong_shape", f"expected a GitLab deployment status, got {raw!r}", "$.status"
        )
    project = _object(body.get("project"))
    url = _text(body, "commit_url", "$", required=False).rstrip("/").rsplit("/", 1)[-1].lower()
    sha = (
        _text(body, "sha", "$", required=False)
        or (url if len(url) == 40 else "")
        or _text(body, "short_sha", "$")
    ).lower()
    if not _SHA.fullmatch(sha):
        raise EvidenceRefused("wrong_shape", f"expected a commit hash, got {sha[:40]!r}", "$.sha")
    return DeploymentEvent(
        source="gitlab",
        system=_text(project, "path_with_namespace", "$.project", required=False),
        environment=_text(body, "environment", "$"),
        commit=sha,
        artifact_digest=None,
        state=_GITLAB_STATES[raw],
        raw_state=raw,
        at=_time(_text(body, "status_changed_at", "$"), "$.status_changed_at"),
        deployment_id=_text(body, "deployment_id", "$", required=False),
    )
