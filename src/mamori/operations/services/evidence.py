"""Pipeline evidence taken in (SRM 15, 16, 18, 19, 20): a report the delivery pipeline sends
for a change's build — tests, coverage, static analysis, SBOM, vulnerabilities — parsed by the
evidence engine while its SHA-256 is computed, and stored as one :class:`Evidence` row of a
:class:`Build` (commit + artifact digest); and deployment events, normalised and kept for the
deploy gate to match.

All or nothing: a file the engine refuses stores nothing and the refusal says why and where.
The same file again for the same build stores nothing new (idempotent). A pipeline's signed
webhook uses a :class:`PipelineSource` secret (``X-Mamori-Source``, ``X-Mamori-Timestamp``,
``X-Mamori-Signature``, the scheme of :mod:`mamori.core.signed_webhooks`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, BinaryIO

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from mamori.accounts.models import User
from mamori.auditlog.context import because
from mamori.core import crypto, signed_webhooks
from mamori.core.errors import Refused
from mamori.core.signed_webhooks import sign
from mamori.engines import evidence as engine
from mamori.operations.models import Build, Change, DeploymentEvent, Evidence, PipelineSource
from mamori.operations.services import gate

__all__ = [
    "DEPLOYMENT_FORMATS",
    "KINDS",
    "MAX_BYTES",
    "PROVIDER_HEADERS",
    "IngestRefused",
    "authenticate",
    "authenticate_provider",
    "channel_secret",
    "find_change",
    "ingest",
    "record_deployment",
    "rotate_secret",
    "sign",
    "signed_context",
    "summary_of",
]

#: The largest evidence file taken (bytes); larger is refused with 413.
MAX_BYTES = 256 * 1024 * 1024

#: The kind of evidence each format is.
KINDS: dict[str, str] = {
    "junit": Evidence.Kind.TESTS,
    "cobertura": Evidence.Kind.COVERAGE,
    "jacoco": Evidence.Kind.COVERAGE,
    "sarif": Evidence.Kind.STATIC_ANALYSIS,
    "cyclonedx": Evidence.Kind.SBOM,
    "pip-audit": Evidence.Kind.VULNERABILITIES,
    "osv": Evidence.Kind.VULNERABILITIES,
}
DEPLOYMENT_FORMATS = ("github-deployment", "gitlab-deployment")

_COMMIT = re.compile(r"[0-9a-f]{7,64}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


class IngestRefused(Refused):
    """Evidence or a deployment event refused: bad file, unknown change, wrong build."""


def find_change(reference: str) -> Change:
    """Return the change of ``reference`` (or of its id); refuse (404) one that does not exist."""
    change = Change.objects.filter(reference=reference).first()
    if change is None and reference.isdigit():
        change = Change.objects.filter(pk=int(reference)).first()
    if change is None:
        raise IngestRefused(
            "no_change", gettext("No change %(ref)s.") % {"ref": reference[:40]}, status=404
        )
    return change


def _checked(commit: str, digest: str) -> tuple[str, str]:
    commit, digest = commit.strip().lower(), digest.strip().lower()
    if not _COMMIT.fullmatch(commit):
        raise IngestRefused(
            "bad_commit",
            gettext("Expected the commit as 7 to 64 hexadecimal digits, got %(value)s.")
            % {"value": repr(commit[:70])},
            fields=[("commit", gettext("A commit hash is required."))],
        )
    if not _DIGEST.fullmatch(digest):
        raise IngestRefused(
            "bad_digest",
            gettext("Expected the artifact digest as sha256:<64 hex digits>, got %(value)s.")
            % {"value": repr(digest[:80])},
            fields=[("digest", gettext("An artifact digest is required."))],
        )
    return commit, digest


def _parsed(stream: BinaryIO, fmt: str | None, limit: int) -> engine.Evidence[Any]:
    if fmt is not None and fmt not in engine.FORMATS:
        raise IngestRefused(
            "bad_format",
            gettext("Expected a format in %(formats)s, got %(value)s.")
            % {"formats": ", ".join(engine.FORMATS), "value": repr(fmt[:40])},
            fields=[("format", gettext("Unknown format."))],
        )
    try:
        return engine.parse_evidence(stream, fmt, limit=limit)
    except engine.EvidenceRefused as refused:
        status = 413 if refused.code == "too_large" else 422
        raise IngestRefused(
            f"evidence_{refused.code}",
            gettext("The file was not taken as evidence: %(reason)s.") % {"reason": str(refused)},
            status=status,
        ) from None


def summary_of(found: engine.Evidence[Any]) -> dict[str, Any]:
    """Return the stored summary of parsed evidence: the keys ``Evidence``'s docstring names
    for its kind, and a few more for people to read."""
    summary = found.summary
    if isinstance(summary, engine.JUnitReport):
        return {
            "tests": summary.tests,
            "failures": summary.failures,
            "errors": summary.errors,
            "skipped": summary.skipped,
            "time": str(summary.time),
            "failing": list(summary.failing),
        }
    if isinstance(summary, engine.Coverage):
        return {
            "lines_covered": summary.lines_covered,
            "lines_valid": summary.lines_valid,
            "branches_covered": summary.branches_covered,
            "branches_valid": summary.branches_valid,
            "line_rate": _fraction(summary.line_rate),
            "branch_rate": _fraction(summary.branch_rate),
        }
    if isinstance(summary, engine.SarifReport):
        return {
            "by_level": dict(summary.levels),
            "suppressed": summary.suppressed,
            "tools": dict(summary.tools),
            "rules": [list(rule) for rule in summary.rules],
        }
    if isinstance(summary, engine.Sbom):
        top = summary.metadata_component
        return {
            "components": summary.component_count,
            "serial_number": summary.serial_number,
            "spec_version": summary.spec_version,
            "artifact": {"name": top.name, "version": top.version, "purl": top.purl}
            if top
            else None,
        }
    if isinstance(summary, engine.VulnerabilityReport):
        return {
            "by_severity": dict(summary.severities),
            "packages": summary.packages,
            "findings": [
                {"package": f.package, "version": f.version, "id": f.id, "severity": f.severity}
                for f in summary.findings[:100]
            ],
        }
    raise TypeError(f"expected an evidence summary, got {type(summary).__name__}")


def _fraction(rate: Any) -> str | None:
    return None if rate is None else f"{rate.numerator}/{rate.denominator}"


def ingest(
    change: Change,
    commit: str,
    artifact_digest: str,
    fmt: str | None,
    stream: BinaryIO,
    source: str,
    *,
    limit: int = MAX_BYTES,
    by: User | None = None,
) -> tuple[Evidence, bool]:
    """Parse ``stream`` and store it as evidence for ``change``'s build ``artifact_digest``;
    return the row and whether it is new (the same file again for the build is not)."""
    commit, artifact_digest = _checked(commit, artifact_digest)
    found = _parsed(stream, fmt, limit)
    if found.format in DEPLOYMENT_FORMATS:
        raise IngestRefused(
            "deployment_not_evidence",
            gettext("A deployment event is sent to the pipeline webhook, not as evidence."),
        )
    now = timezone.now()
    who = by.username if by else source
    with transaction.atomic(), because(f"pipeline evidence {found.format} sent by {who}"):
        build, _new = Build.objects.get_or_create(
            change=change,
            artifact_digest=artifact_digest,
            defaults={"commit": commit, "created_at": now},
        )
        if build.commit != commit:
            raise IngestRefused(
                "digest_of_another_commit",
                gettext("Artifact %(digest)s was built from commit %(built)s, not %(commit)s.")
                % {"digest": artifact_digest, "built": build.commit, "commit": commit},
                status=409,
            )
        row = Evidence.objects.filter(build=build, sha256=found.sha256).first()
        if row is not None:
            return row, False
        row = Evidence.objects.create(
            build=build,
            kind=KINDS[found.format],
            format=found.format,
            sha256=found.sha256,
            size=found.size,
            summary=summary_of(found),
            source=source,
            received_at=now,
        )
    return row, True


def record_deployment(
    stream: BinaryIO, source: str, fmt: str | None = None, *, limit: int = 4 * 1024 * 1024
) -> tuple[DeploymentEvent, bool]:
    """Store a GitHub or GitLab deployment event, matched to a change by the build of its
    artifact digest (else of its commit); return it and whether it is new."""
    found = _parsed(stream, fmt, limit)
    event = found.summary
    if not isinstance(event, engine.DeploymentEvent):
        raise IngestRefused(
            "not_a_deployment",
            gettext("Expected a GitHub deployment_status or GitLab deployment event, got %(fmt)s.")
            % {"fmt": found.format},
        )
    existing = DeploymentEvent.objects.filter(sha256=found.sha256).first()
    if existing is not None:
        return existing, False
    builds = Build.objects.select_related("change")
    build = None
    if event.artifact_digest:
        build = builds.filter(artifact_digest=event.artifact_digest).first()
    if build is None and len(event.commit) == 40:
        # an event naming no digest is matched by its commit only when one build has it:
        # with several, the artifact deployed is unknown and no one build's go may cover it
        of_commit = list(builds.filter(commit=event.commit)[:2])
        build = of_commit[0] if len(of_commit) == 1 else None
    try:
        with transaction.atomic(), because(f"deployment event from {event.source} via {source}"):
            row = DeploymentEvent.objects.create(
                change=build.change if build else None,
                system=event.system,
                environment=event.environment[:100],
                commit=event.commit,
                artifact_digest=event.artifact_digest or "",
                state=event.state,
                source=event.source,
                deployed_at=event.at,
                received_at=timezone.now(),
                sha256=found.sha256,
            )
            _to_gate(event, build, source)
    except IntegrityError:  # the same event, sent twice at once
        return DeploymentEvent.objects.get(sha256=found.sha256), False
    return row, True


def _sender_id(event: engine.DeploymentEvent, received_by: str) -> str:
    """The deployment's id as the gate keeps it: the pipeline that received it, the repository
    or project and the provider's id, so that one sender's ids never stand for another's
    deployments (at most 100 characters: a long one ends with its digest)."""
    if not event.deployment_id:
        return ""
    whole = f"{received_by}|{event.system}|{event.source}:{event.deployment_id}"
    if len(whole) <= 100:
        return whole
    return f"{whole[:67]}#{hashlib.sha256(whole.encode()).hexdigest()[:32]}"


def _to_gate(event: engine.DeploymentEvent, build: Build | None, received_by: str) -> None:
    """Hand a new deployment event to the deploy gate's register, which raises a finding for a
    production deployment of a digest the gate never answered *go* (SRM 19). An event naming
    no digest is registered under its build's digest, or else under ``commit:<sha>`` — an
    artifact no gate can have passed."""
    digest = event.artifact_digest or (build.artifact_digest if build else f"commit:{event.commit}")
    gate.record_deployment(
        event.environment,
        event.commit,
        digest,
        event.state,
        event.source,
        change_reference=build.change.reference if build else None,
        at=event.at,
        external_id=_sender_id(event, received_by),
    )


def rotate_secret(code: str, name: str = "", by: User | None = None) -> tuple[PipelineSource, str]:
    """Create pipeline ``code`` or replace its secret; return it and the secret (shown once)."""
    return signed_webhooks.rotate_secret(PipelineSource, {"code": code}, by, "pipeline", name=name)


def _unauthorised(code: str, message: str) -> IngestRefused:
    return IngestRefused(code, message, status=401)


#: the query parameters of the pipeline webhook, signed with the body in this order
SIGNED_PARAMETERS = ("change", "commit", "digest", "format")


def signed_context(parameters: Mapping[str, str]) -> str:
    """Return the canonical text of the webhook's query parameters that the signature covers:
    ``change=…&commit=…&digest=…&format=…`` (empty values kept, others ignored), so a captured
    request cannot be replayed for another change, build or format."""
    return "&".join(f"{name}={parameters.get(name, '')}" for name in SIGNED_PARAMETERS)


def _pipeline(code: str) -> PipelineSource:
    """The active pipeline ``code``; refused (401) if there is none."""
    pipeline = PipelineSource.objects.filter(code=code, active=True).first() if code else None
    if pipeline is None:
        raise _unauthorised(
            "unknown_pipeline",
            gettext("pipeline %(source)s has no secret: an administrator creates one")
            % {"source": code[:50] or "-"},
        )
    return pipeline


#: The providers whose own webhooks may send deployment events, and the header each proves
#: its sender with: GitHub signs the body (HMAC-SHA256, no timestamp), GitLab sends the secret.
PROVIDER_HEADERS = {"github": "X-Hub-Signature-256", "gitlab": "X-Gitlab-Token"}


def channel_secret(secret: str, provider: str) -> str:
    """The key a provider's webhook holds for a pipeline: derived from the pipeline's secret
    (HMAC-SHA256 of the provider's name), so the provider — which stores it, and GitLab sends it
    as it is — can prove only its own deployment events, never sign the pipeline's uploads or
    the other provider's events. Shown with the secret, once."""
    label = f"mamori pipeline hook: {provider}".encode()
    return hmac.new(secret.encode("utf-8"), label, hashlib.sha256).hexdigest()


def authenticate_provider(code: str, provider: str, credential: str, body: bytes) -> PipelineSource:
    """Return pipeline ``code`` if ``credential`` (the value of :data:`PROVIDER_HEADERS`'
    header for ``provider``) proves the provider holds its key (:func:`channel_secret`);
    refuse (401) otherwise. These webhooks carry no timestamp: a body sent again is the same
    event, stored once."""
    pipeline = _pipeline(code)
    secret = channel_secret(crypto.decrypt(pipeline.secret_encrypted), provider)
    header = PROVIDER_HEADERS[provider]
    if provider == "github":
        signed_webhooks.verify_body_signature(secret, credential, body, _unauthorised, header)
    else:
        signed_webhooks.verify_token(secret, credential, _unauthorised, header)
    return pipeline


def authenticate(
    code: str,
    timestamp: str,
    signature: str,
    body: bytes,
    now: datetime | None = None,
    context: str = "",
) -> PipelineSource:
    """Return the pipeline whose secret signed ``body`` (with ``context``, the canonical query
    of :func:`signed_context`) at ``timestamp``; refuse (401, with the reason) an unknown
    pipeline, a missing or stale timestamp, a bad signature."""
    pipeline = _pipeline(code)
    signed_webhooks.verify(
        crypto.decrypt(pipeline.secret_encrypted),
        timestamp,
        signature,
        body,
        _unauthorised,
        now,
        context,
    )
    return pipeline
