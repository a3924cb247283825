"""API of approvals: services submit requests and read their state; people decide."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict, Field

from mamori.accounts.models import ApiToken, ApprovalPolicy, ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.core.api import Pagination, authenticated, people_only, refusals
from mamori.core.scopes import SIGNED_IN

__all__ = ["router"]

router = Router(tags=["approvals"])


class DecisionOut(Schema):
    """One decision."""

    approver: str
    verdict: str
    reason: str
    roles: list[str]
    at: datetime

    @staticmethod
    def resolve_approver(obj: Any) -> str:
        """Name the approver by user name."""
        return str(obj.approver.username)


class RequestOut(Schema):
    """An approval request and where it stands."""

    id: int
    kind: str
    title: str
    policy: str
    policy_version: int
    status: str
    snapshot: dict[str, Any]
    snapshot_sha256: str
    created_at: datetime
    expires_at: datetime
    approvals_per_stage: list[int]
    decisions: list[DecisionOut]

    @staticmethod
    def resolve_policy(obj: ApprovalRequest) -> str:
        """Name the policy by code."""
        return obj.policy.code

    @staticmethod
    def resolve_approvals_per_stage(obj: ApprovalRequest) -> list[int]:
        """Count approvals per stage now."""
        return list(approvals.outcome(obj).approvals_per_stage)

    @staticmethod
    def resolve_decisions(obj: ApprovalRequest) -> list[Any]:
        """List the decisions in order."""
        return list(obj.decisions.select_related("approver"))


class SubmitIn(Schema):
    """What a service asks to have approved. The policy is not the caller's to choose: the
    server decides it from the kind (a field ``policy`` is refused)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=80)
    title: str = Field(min_length=1, max_length=300)
    snapshot: dict[str, Any]


class DecideIn(Schema):
    """A person's decision."""

    verdict: str
    reason: str


class PolicyOut(Schema):
    """An approval policy."""

    code: str
    name_ja: str
    name_en: str
    version: int
    definition: dict[str, Any]


@router.get(
    "/requests",
    response={200: list[RequestOut], **refusals(422)},
    auth=authenticated("approvals:read"),
)
@paginate(Pagination)
def list_requests(
    request: HttpRequest, status: str | None = None, kind: str | None = None
) -> QuerySet[ApprovalRequest]:
    """List requests, newest first, optionally by status and kind."""
    rows = ApprovalRequest.objects.select_related("policy").order_by("-created_at")
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    return rows


@router.get(
    "/requests/{request_id}",
    response={200: RequestOut, **refusals(404, 422)},
    auth=authenticated("approvals:read"),
)
def get_request(request: HttpRequest, request_id: int) -> ApprovalRequest:
    """Return one request with its decisions."""
    return get_object_or_404(ApprovalRequest.objects.select_related("policy"), pk=request_id)


@router.post(
    "/requests",
    response={201: RequestOut, **refusals(403, 409, 422)},
    auth=authenticated("approvals:submit"),
)
def submit_request(request: HttpRequest, body: SubmitIn) -> Status[ApprovalRequest]:
    """Submit a snapshot for approval; only kinds their module opened to the API are taken,
    each under the policy the server registered for it."""
    requester = request.auth  # type: ignore[attr-defined]
    if not isinstance(requester, User | ApiToken):
        raise approvals.ApprovalRefused(
            "no_requester", _("the caller cannot request approval"), status=403
        )
    if not approvals.kind_of(body.kind).submittable:
        raise approvals.ApprovalRefused(
            "not_submittable",
            _("requests of kind %(kind)r are opened by their own module, not through this API")
            % {"kind": body.kind},
        )
    return Status(201, approvals.submit(body.kind, body.title, body.snapshot, requester))


@router.post(
    "/requests/{request_id}/decisions",
    response={200: RequestOut, **refusals(404, 409, 422)},
    auth=people_only(SIGNED_IN),
)
def decide(request: HttpRequest, request_id: int, body: DecideIn) -> ApprovalRequest:
    """Record the signed-in person's decision (people decide; tokens cannot)."""
    get_object_or_404(ApprovalRequest, pk=request_id)
    person = request.auth  # type: ignore[attr-defined]
    return approvals.decide(request_id, person, body.verdict, body.reason)


@router.get("/policies", response=list[PolicyOut], auth=authenticated("approvals:read"))
def list_policies(request: HttpRequest) -> QuerySet[ApprovalPolicy]:
    """List approval policies."""
    return ApprovalPolicy.objects.all()
