"""API of pipeline evidence (SRM 15, 16, 18, 19, 20).

``POST /api/changes/{ref}/evidence`` (scope ``changes:evidence``) takes one report for a build
of the change — the file as a multipart ``file`` or as the raw body — with ``commit``,
``digest`` (``sha256:<hex>``) and, if the content should not decide it, ``format`` as query or
form fields; ``GET /api/changes/{ref}/evidence`` (scope ``changes:read``) lists what was taken.
``POST /api/changes/pipeline/webhook`` takes the same uploads (``change``, ``commit``,
``digest``, ``format`` in the query) and deployment events in GitHub's ``deployment_status`` and
GitLab's deployment-hook shapes, signed with a pipeline's secret.
``POST /api/changes/pipeline/{code}/github`` and ``…/gitlab`` take deployment events from the
providers' own webhooks, which cannot add mamori's headers: GitHub's ``X-Hub-Signature-256``
(HMAC-SHA256 of the body with the pipeline's secret) or GitLab's ``X-Gitlab-Token`` (the
secret itself) proves the sender; the same body sent again is stored once.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO, cast

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from ninja.security import APIKeyHeader

from mamori.core.api import Pagination, acting_person, authenticated, refusals
from mamori.operations.models import DeploymentEvent, Evidence
from mamori.operations.services import evidence

__all__ = ["router"]

router = Router(tags=["changes"])

#: The largest signed webhook body read into memory to check its signature.
WEBHOOK_MAX_BYTES = 32 * 1024 * 1024


class PipelineEvidenceOut(Schema):
    """One report taken for a build: what, for which artifact, its digest and summary."""

    id: int
    change: str
    commit: str
    artifact_digest: str
    kind: str
    format: str
    sha256: str
    size: int
    summary: dict[str, Any]
    source: str
    received_at: str
    new: bool = False


class PipelineDeploymentOut(Schema):
    """A deployment event kept for the deploy gate."""

    id: int
    change: str | None
    environment: str
    commit: str
    artifact_digest: str
    state: str
    source: str
    deployed_at: str
    new: bool


def _out(row: Evidence, new: bool = False) -> dict[str, Any]:
    return {
        "id": row.pk,
        "change": row.build.change.reference,
        "commit": row.build.commit,
        "artifact_digest": row.build.artifact_digest,
        "kind": row.kind,
        "format": row.format,
        "sha256": row.sha256,
        "size": row.size,
        "summary": row.summary,
        "source": row.source,
        "received_at": row.received_at.isoformat(),
        "new": new,
    }


def _field(request: HttpRequest, name: str) -> str:
    if _multipart(request):
        return str(request.GET.get(name) or request.POST.get(name) or "")
    return str(request.GET.get(name) or "")


def _multipart(request: HttpRequest) -> bool:
    return str(request.content_type or "").startswith("multipart/")


def _too_large(limit: int) -> evidence.IngestRefused:
    return evidence.IngestRefused(
        "evidence_too_large",
        _("The file is larger than %(limit)d bytes.") % {"limit": limit},
        status=413,
    )


@router.post(
    "/{ref}/evidence",
    response={200: PipelineEvidenceOut, 201: PipelineEvidenceOut, **refusals(404, 409, 413, 422)},
    auth=authenticated("changes:evidence"),
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
def send_evidence(request: HttpRequest, ref: str) -> Status[dict[str, Any]]:
    """Take one report for the build (commit, digest) of the change; the same file again
    answers 200 and stores nothing new."""
    by = acting_person(request, "changes.evidence")
    change = evidence.find_change(ref)
    file = request.FILES.get("file") if _multipart(request) else None
    size = file.size if file is not None else int(request.META.get("CONTENT_LENGTH") or 0)
    if size and size > evidence.MAX_BYTES:
        raise _too_large(evidence.MAX_BYTES)
    stream = cast(BinaryIO, file if file is not None else request)
    row, new = evidence.ingest(
        change,
        _field(request, "commit"),
        _field(request, "digest"),
        _field(request, "format") or None,
        stream,
        "api",
        by=by,
    )
    return Status(201 if new else 200, _out(row, new))


@router.get(
    "/{ref}/evidence",
    response={200: list[PipelineEvidenceOut], **refusals(404, 422)},
    auth=authenticated("changes:read"),
)
@paginate(Pagination)
def list_evidence(request: HttpRequest, ref: str) -> Any:
    """The evidence taken for the change's builds, newest first."""
    change = evidence.find_change(ref)
    rows = Evidence.objects.filter(build__change=change).select_related("build__change")
    return [_out(row) for row in rows]


def _body(request: HttpRequest) -> bytes:
    """Return the raw body, read once, at most :data:`WEBHOOK_MAX_BYTES`."""
    cached = getattr(request, "_pipeline_body", None)
    if cached is None:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > WEBHOOK_MAX_BYTES:
            raise _too_large(WEBHOOK_MAX_BYTES)
        cached = request.read(WEBHOOK_MAX_BYTES + 1)
        if len(cached) > WEBHOOK_MAX_BYTES:
            raise _too_large(WEBHOOK_MAX_BYTES)
        request._pipeline_body = cached  # type: ignore[attr-defined]
    return bytes(cached)


class PipelineSignature(APIKeyHeader):
    """A pipeline's signature over the query and the raw body: HMAC-SHA256 with the pipeline's
    secret over ``<timestamp>.change=…&commit=…&digest=…&format=….<body>``, the timestamp
    within five minutes. No person or token holds
    ``permission``: only a pipeline's secret opens the endpoint."""

    param_name = "X-Mamori-Signature"
    permission = "changes.pipeline"

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.headers.get(self.param_name, "")

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        """Return the signing pipeline; raise the refusal saying what is wrong."""
        return evidence.authenticate(
            request.headers.get("X-Mamori-Source", ""),
            request.headers.get("X-Mamori-Timestamp", ""),
            key or "",
            _body(request),
            context=evidence.signed_context(request.GET),
        )


@router.post(
    "/pipeline/webhook",
    response={
        200: PipelineEvidenceOut | PipelineDeploymentOut,
        201: PipelineEvidenceOut | PipelineDeploymentOut,
        **refusals(401, 404, 409, 413, 422),
    },
    auth=[PipelineSignature()],
    openapi_extra={
        "requestBody": {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            }
        }
    },
)
def pipeline_webhook(request: HttpRequest) -> Status[dict[str, Any]]:
    """Take a signed upload (``change``, ``commit``, ``digest``, ``format`` in the query) or
    a deployment event; the same body again answers 200 and stores nothing new."""
    body = _body(request)
    pipeline = request.auth  # type: ignore[attr-defined]
    source = f"webhook:{pipeline.code}"[:20]
    fmt = request.GET.get("format") or None
    if not request.GET.get("change"):
        event, new = evidence.record_deployment(io.BytesIO(body), source, fmt)
        return Status(201 if new else 200, _event(event, new))
    change = evidence.find_change(request.GET["change"])
    row, new = evidence.ingest(
        change,
        request.GET.get("commit", ""),
        request.GET.get("digest", ""),
        fmt,
        io.BytesIO(body),
        source,
    )
    return Status(201 if new else 200, _out(row, new))


class _ProviderHook(APIKeyHeader):
    """A provider's own webhook for pipeline ``code`` (in the path), proven by the header
    :data:`~mamori.operations.services.evidence.PROVIDER_HEADERS` names. No person or token
    holds ``permission``: only a pipeline's secret opens the endpoint."""

    provider = ""
    permission = "changes.pipeline"

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.headers.get(self.param_name, "")

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        """Return the pipeline; raise the refusal saying what is wrong."""
        match = request.resolver_match
        code = str(match.kwargs.get("code", "")) if match is not None else ""
        return evidence.authenticate_provider(code, self.provider, key or "", _body(request))


class GitHubSignature(_ProviderHook):
    param_name = evidence.PROVIDER_HEADERS["github"]
    provider = "github"


class GitLabToken(_ProviderHook):
    param_name = evidence.PROVIDER_HEADERS["gitlab"]
    provider = "gitlab"


class HookPingOut(Schema):
    """GitHub's ``ping`` on a new hook, answered: the pipeline's secret is the hook's."""

    pipeline: str
    event: str


#: What each provider names the events these endpoints take (``X-GitHub-Event``,
#: ``X-Gitlab-Event``), and where its people subscribe the hook to them.
_PROVIDER_EVENTS = {
    "github": ("X-GitHub-Event", "deployment_status", "Deployment statuses"),
    "gitlab": ("X-Gitlab-Event", "Deployment Hook", "Deployment events"),
}


def _provider_hook(request: HttpRequest, provider: str) -> Status[dict[str, Any]]:
    body = _body(request)
    pipeline = request.auth  # type: ignore[attr-defined]
    header, wanted, subscription = _PROVIDER_EVENTS[provider]
    sent = request.headers.get(header, "")
    if provider == "github" and sent == "ping":
        return Status(200, {"pipeline": pipeline.code, "event": "ping"})
    if sent != wanted:
        raise evidence.IngestRefused(
            "unexpected_event",
            _(
                "This hook takes %(wanted)s events; %(header)s says %(sent)s. Subscribe the "
                "hook to %(subscription)s only."
            )
            % {
                "wanted": wanted,
                "header": header,
                "sent": sent[:60] or "-",
                "subscription": subscription,
            },
        )
    source = f"{provider}:{pipeline.code}"[:20]
    event, new = evidence.record_deployment(io.BytesIO(body), source, f"{provider}-deployment")
    return Status(201 if new else 200, _event(event, new))


_HOOK_RESPONSES: dict[int, Any] = {
    200: PipelineDeploymentOut | HookPingOut,
    201: PipelineDeploymentOut,
    **refusals(401, 404, 413, 422),
}
_RAW_BODY = {"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}}


@router.post(
    "/pipeline/{code}/github",
    response=_HOOK_RESPONSES,
    auth=[GitHubSignature()],
    openapi_extra=_RAW_BODY,
)
def github_hook(request: HttpRequest, code: str) -> Status[dict[str, Any]]:
    """Take a ``deployment_status`` event from a GitHub webhook whose secret is pipeline
    ``code``'s (content type ``application/json``); answer GitHub's ``ping``."""
    return _provider_hook(request, "github")


@router.post(
    "/pipeline/{code}/gitlab",
    response=_HOOK_RESPONSES,
    auth=[GitLabToken()],
    openapi_extra=_RAW_BODY,
)
def gitlab_hook(request: HttpRequest, code: str) -> Status[dict[str, Any]]:
    """Take a deployment event from a GitLab webhook whose secret token is pipeline
    ``code``'s."""
    return _provider_hook(request, "gitlab")


def _event(event: DeploymentEvent, new: bool) -> dict[str, Any]:
    return {
        "id": event.pk,
        "change": event.change.reference if event.change else None,
        "environment": event.environment,
        "commit": event.commit,
        "artifact_digest": event.artifact_digest,
        "state": event.state,
        "source": event.source,
        "deployed_at": event.deployed_at.isoformat(),
        "new": new,
    }
