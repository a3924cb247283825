"""Submit, decide, expire and verify approval requests (SRM 4-6, ISM 19-2, ISM 31-4/5).

The engine (:mod:`mamori.engines.approvals`) decides; this module persists. A kind of request
is registered with an *action* that runs, inside the same transaction as the deciding approval,
on the approved snapshot — never on the live object. :func:`verify` lets later code prove the
thing it is about to act on is exactly what was approved.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pydantic
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mamori.accounts.models import (
    ApiToken,
    ApprovalDecision,
    ApprovalPolicy,
    ApprovalRequest,
    User,
)
from mamori.accounts.services.holdings import roles_of
from mamori.core.errors import Refused
from mamori.engines import approvals as engine

__all__ = [
    "ApprovalRefused",
    "Kind",
    "SnapshotMismatch",
    "canonical_json",
    "decide",
    "engine_decisions",
    "expire_due",
    "kind_of",
    "may_decide",
    "outcome",
    "propose_policy_change",
    "register_kind",
    "registered_kinds",
    "shown",
    "snapshot_sha256",
    "submit",
    "verify",
    "waiting_for",
    "withdraw",
]

log = logging.getLogger("mamori.approvals")


class ApprovalRefused(Refused):
    """A submission or decision is refused; ``code`` is stable for machines. It answers 409:
    the request is in a state (or held by a person) that does not allow it."""

    status = 409


#: What a person reads for the refusals they meet most, in their language (the policy engine
#: says the others in English, with the roles and stages named).
_SHOWN = {
    "self_approval": gettext_lazy("the requester cannot decide their own request"),
    "already_decided": gettext_lazy("this person has already decided this request"),
    "subject_approval": gettext_lazy("this request is about you: someone else must approve it"),
    "reason_missing": gettext_lazy("a decision needs a reason"),
}


def shown(refusal: engine.Refusal) -> str:
    """Return why a decision is refused in the active language, roles named (the engine says
    it in English, with role codes, for logs and the API)."""
    from mamori.accounts.models import Role

    if refusal.code in _SHOWN:
        return str(_SHOWN[refusal.code])
    names = {role.code: role.name for role in Role.objects.filter(code__in=refusal.roles)}
    roles = ", ".join(names.get(code, code) for code in refusal.roles)
    if refusal.code == "closed":
        status = dict(ApprovalRequest.Status.choices).get(refusal.status, refusal.status)
        return _("the request is %(status)s; it takes no decision") % {"status": status}
    if refusal.code == "out_of_order":
        return _(
            "the stage %(stage)s must be completed first; it needs one of the roles %(roles)s"
        ) % {
            "stage": refusal.stage,
            "roles": roles,
        }
    if refusal.code == "role_missing":
        return _("deciding now needs one of the roles %(roles)s") % {"roles": roles}
    return refusal.message


class SnapshotMismatch(ApprovalRefused):
    """What is about to be acted on is not what was approved (the decision that would act on
    it is refused, and recorded nowhere)."""

    def __init__(self, message: str) -> None:
        super().__init__("snapshot_mismatch", message)


@dataclass(frozen=True)
class Kind:
    """A kind of request, as the module that acts on it registered it.

    The server, never the requester, chooses the policy: ``policy`` is a policy code or a
    function of the snapshot returning one (a role's own grant policy, say). ``schema``
    validates a snapshot on submit; ``subject`` names the person a request is about (who may
    then not approve it); only a ``submittable`` kind may be opened through the public API.
    """

    code: str
    policy: str | Callable[[dict[str, Any]], str]
    apply: Callable[[ApprovalRequest], None]
    validate: Callable[[dict[str, Any]], None] | None = None
    schema: type[pydantic.BaseModel] | None = None
    subject: Callable[[dict[str, Any]], str | None] | None = None
    submittable: bool = False

    def policy_code(self, snapshot: dict[str, Any]) -> str:
        """Return the code of the policy a request with ``snapshot`` is decided under."""
        return self.policy if isinstance(self.policy, str) else self.policy(snapshot)


_KINDS: dict[str, Kind] = {}
_SUBMITTED_HOOKS: list[Callable[[ApprovalRequest], None]] = []
_CLOSED_HOOKS: list[Callable[[ApprovalRequest], None]] = []


def register_kind(
    code: str,
    *,
    policy: str | Callable[[dict[str, Any]], str],
    apply: Callable[[ApprovalRequest], None],
    validate: Callable[[dict[str, Any]], None] | None = None,
    schema: type[pydantic.BaseModel] | None = None,
    subject: Callable[[dict[str, Any]], str | None] | None = None,
    submittable: bool = False,
) -> Kind:
    """Declare a kind of request: its policy (chosen here, by the server), how a snapshot is
    validated, whom it is about and the action run once on approval with the approved
    snapshot. A kind the public API may open must have a snapshot schema."""
    if submittable and schema is None:
        raise ValueError(f"the submittable kind {code!r} needs a snapshot schema")
    kind = Kind(code, policy, apply, validate, schema, subject, submittable)
    _KINDS[code] = kind
    return kind


def kind_of(code: str) -> Kind:
    """Return the registered kind ``code``; refuse an unknown one."""
    try:
        return _KINDS[code]
    except KeyError:
        raise ApprovalRefused(
            "unknown_kind",
            _("no kind of request %(kind)r is registered") % {"kind": code},
            status=422,
        ) from None


def registered_kinds() -> list[Kind]:
    """Return every registered kind, by code."""
    return [_KINDS[code] for code in sorted(_KINDS)]


def on_submitted(hook: Callable[[ApprovalRequest], None]) -> None:
    """Call ``hook`` after a request is committed (e.g. to notify approvers)."""
    _SUBMITTED_HOOKS.append(hook)


def on_closed(hook: Callable[[ApprovalRequest], None]) -> None:
    """Call ``hook`` after a request is approved, rejected or expired."""
    _CLOSED_HOOKS.append(hook)


def _after_commit(hooks: list[Callable[[ApprovalRequest], None]], request: ApprovalRequest) -> None:
    """Run ``hooks`` on ``request`` once the current transaction commits."""

    def run() -> None:
        for hook in hooks:
            try:
                hook(request)
            except Exception:
                log.exception("approval hook %r failed for request #%s", hook, request.pk)

    transaction.on_commit(run)


def canonical_json(value: Any) -> str:
    """Return the canonical JSON the snapshot hash is computed over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def snapshot_sha256(value: Any) -> str:
    """Return the SHA-256 (hex) of ``value``'s canonical JSON: what a snapshot is known by."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def submit(
    kind: str,
    title: str,
    snapshot: dict[str, Any],
    requester: User | ApiToken,
) -> ApprovalRequest:
    """Open a request for ``snapshot`` under the policy the kind is registered with.

    A request made with a token is the token's issuer's: that person may not approve it.
    """
    registered = kind_of(kind)
    try:
        json.loads(canonical_json(snapshot))
    except (TypeError, ValueError) as exc:
        raise ApprovalRefused(
            "bad_snapshot", _("the snapshot is not JSON: %(error)s") % {"error": exc}, status=422
        ) from None
    if registered.schema is not None:
        _check_schema(registered.schema, snapshot)
    if registered.validate:
        registered.validate(snapshot)
    policy_code = registered.policy_code(snapshot)
    policy_row = ApprovalPolicy.objects.filter(code=policy_code).first()
    if policy_row is None:
        raise ApprovalRefused(
            "unknown_policy", _("no approval policy %(policy)r") % {"policy": policy_code}
        )
    policy = engine.Policy.from_data(policy_row.definition)
    person = requester.created_by if isinstance(requester, ApiToken) else requester
    now = timezone.now()
    with transaction.atomic():
        request = ApprovalRequest.objects.create(
            kind=kind,
            title=title[:300],
            policy=policy_row,
            policy_version=policy_row.version,
            policy_definition=policy.to_data(),
            snapshot=snapshot,
            snapshot_sha256=snapshot_sha256(snapshot),
            requester=person,
            requester_token=requester if isinstance(requester, ApiToken) else None,
            created_at=now,
            expires_at=now + policy.lifetime,
        )
        _after_commit(_SUBMITTED_HOOKS, request)
    log.info("approval request #%s %s submitted under %s", request.pk, kind, policy_code)
    return request


def _check_schema(schema: type[pydantic.BaseModel], snapshot: dict[str, Any]) -> None:
    """Refuse a snapshot that does not have the kind's shape, naming each bad field."""
    try:
        schema.model_validate(snapshot)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'snapshot'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ApprovalRefused(
            "bad_snapshot",
            _("the snapshot is not valid: %(problems)s") % {"problems": problems},
            status=422,
        ) from None


def _policy(request: ApprovalRequest) -> engine.Policy:
    return engine.Policy.from_data(request.policy_definition)


def engine_decisions(request: ApprovalRequest) -> list[engine.Decision]:
    """Return the request's decisions as engine values."""
    return [
        engine.Decision(
            approver=str(d.approver_id),
            verdict=engine.Verdict(d.verdict),
            at=d.at,
            roles=frozenset(d.roles),
            stage=d.stage,
        )
        for d in request.decisions.all()
    ]


def _requester_key(request: ApprovalRequest) -> str:
    return (
        str(request.requester_id) if request.requester_id else f"token:{request.requester_token_id}"
    )


def outcome(request: ApprovalRequest) -> engine.Outcome:
    """Return where the request stands now."""
    return engine.evaluate(
        _policy(request), engine_decisions(request), request.created_at, timezone.now()
    )


def may_decide(
    request: ApprovalRequest, user: User, verdict: str = "approve"
) -> engine.Refusal | None:
    """Return why ``user`` may not decide ``verdict`` now (None: they may)."""
    if request.status == ApprovalRequest.Status.WITHDRAWN:
        return engine.Refusal("withdrawn", "the request was withdrawn")
    return _refusal(
        request, user, engine.Verdict(verdict), engine_decisions(request), timezone.now()
    )


def _refusal(
    request: ApprovalRequest,
    user: User,
    verdict: engine.Verdict,
    decisions: list[engine.Decision],
    now: Any,
    roles: frozenset[str] | None = None,
) -> engine.Refusal | None:
    """Return why ``user`` may not decide: the policy's rules, then the person the request is
    about (nobody approves a grant of a role to themselves). ``roles``: the roles ``user``
    holds, when the caller already read them."""
    refusal = engine.refusal_for(
        _policy(request),
        _requester_key(request),
        decisions,
        str(user.pk),
        roles_of(user) if roles is None else roles,
        verdict,
        request.created_at,
        now,
    )
    if refusal is not None or verdict is not engine.Verdict.APPROVE:
        return refusal
    kind = _KINDS.get(request.kind)
    if kind and kind.subject and kind.subject(request.snapshot) == user.get_username():
        return engine.Refusal(
            "subject_approval", "this request is about you: someone else must approve it"
        )
    return None


def waiting_for(user: User) -> list[ApprovalRequest]:
    """Return the pending requests ``user`` may approve now, newest first."""
    pending = ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING).exclude(
        requester=user
    )
    held = roles_of(user)
    now = timezone.now()
    return [
        r
        for r in pending.select_related("requester").prefetch_related("decisions")
        if _refusal(r, user, engine.Verdict.APPROVE, engine_decisions(r), now, held) is None
    ]


def decide(request_id: int, user: User, verdict: str, reason: str) -> ApprovalRequest:
    """Record ``user``'s decision; on the deciding approval, run the action on the snapshot."""
    reason = reason.strip()
    if not reason:
        raise ApprovalRefused("reason_missing", _SHOWN["reason_missing"])
    try:
        wanted = engine.Verdict(verdict)
    except ValueError:
        raise ApprovalRefused(
            "bad_verdict",
            _("verdict must be approve or reject, got %(verdict)r") % {"verdict": verdict},
            status=422,
        ) from None
    now = timezone.now()
    with transaction.atomic():  # an expiry is recorded even though the decision is refused
        _close_if_expired(ApprovalRequest.objects.select_for_update().get(pk=request_id), now)
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update().get(pk=request_id)
        if request.status == ApprovalRequest.Status.WITHDRAWN:  # the others the engine sees
            raise ApprovalRefused(
                "withdrawn",
                _("Request #%(id)s was withdrawn: it takes no more decisions.")
                % {"id": request.pk},
                status=409,
            )
        policy = _policy(request)
        decisions = engine_decisions(request)
        roles = roles_of(user)
        refusal = _refusal(request, user, wanted, decisions, now)
        if refusal is not None:
            raise ApprovalRefused(refusal.code, shown(refusal))
        stage = None
        if wanted is engine.Verdict.APPROVE and policy.ordered:
            stage = engine.stage_for(policy, decisions, roles)
        ApprovalDecision.objects.create(
            request=request,
            approver=user,
            verdict=wanted.value,
            reason=reason,
            roles=sorted(roles),
            stage=stage,
            at=now,
        )
        result = engine.evaluate(policy, engine_decisions(request), request.created_at, now)
        if result.status is not engine.Status.PENDING:
            request.status = result.status.value
            request.closed_at = now
            request.save(update_fields=["status", "closed_at"])
            if result.status is engine.Status.APPROVED:
                kind_of(request.kind).apply(request)
            _after_commit(_CLOSED_HOOKS, request)
    log.info("approval request #%s: %s by %s (%s)", request.pk, wanted.value, user, request.status)
    return request


def _close_if_expired(request: ApprovalRequest, now: Any) -> bool:
    if request.status == ApprovalRequest.Status.PENDING and request.expires_at <= now:
        request.status = ApprovalRequest.Status.EXPIRED
        request.closed_at = now
        request.save(update_fields=["status", "closed_at"])
        _after_commit(_CLOSED_HOOKS, request)
        return True
    return False


def withdraw(request: ApprovalRequest, why: str) -> bool:
    """Close ``request`` while it is still pending because what it asks for is gone (the
    change it would advance was cancelled): no one can decide it any more, and its requester
    is told. ``why`` goes to the audit entry. Return whether it was pending."""
    from mamori.auditlog.context import because

    with transaction.atomic(), because(why):
        locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != ApprovalRequest.Status.PENDING:
            return False
        locked.status = ApprovalRequest.Status.WITHDRAWN
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        _after_commit(_CLOSED_HOOKS, locked)
    return True


def expire_due() -> int:
    """Mark every pending request past its expiry as expired; return how many."""
    now = timezone.now()
    count = 0
    for request_id in ApprovalRequest.objects.filter(
        status=ApprovalRequest.Status.PENDING, expires_at__lte=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            request = ApprovalRequest.objects.select_for_update().get(pk=request_id)
            count += _close_if_expired(request, now)
    return count


def verify(request: ApprovalRequest, current: dict[str, Any]) -> None:
    """Raise :class:`SnapshotMismatch` unless ``current`` is exactly what was approved."""
    if request.status != ApprovalRequest.Status.APPROVED:
        raise SnapshotMismatch(f"request #{request.pk} is {request.status}, not approved")
    if snapshot_sha256(request.snapshot) != request.snapshot_sha256:
        raise SnapshotMismatch(f"the stored snapshot of request #{request.pk} was altered")
    got = snapshot_sha256(current)
    if got != request.snapshot_sha256:
        raise SnapshotMismatch(
            f"request #{request.pk} approved {request.snapshot_sha256[:12]}…, got {got[:12]}…: "
            "a change after approval needs a new request"
        )


def propose_policy_change(
    policy: ApprovalPolicy, definition: dict[str, Any], requester: User
) -> ApprovalRequest:
    """Ask for ``policy`` to take ``definition``; applied only once approved under policy_change."""
    try:
        engine.Policy.from_data({**definition, "code": policy.code})
    except engine.PolicyError as exc:
        raise ApprovalRefused("bad_policy", str(exc)) from None
    snapshot = {
        "policy": policy.code,
        "base_version": policy.version,
        "definition": {**definition, "code": policy.code},
    }
    return submit(
        "approvals.policy_change",
        f"Change approval policy {policy.code} (v{policy.version} → v{policy.version + 1})",
        snapshot,
        requester,
    )


def _apply_policy_change(request: ApprovalRequest) -> None:
    snapshot = request.snapshot
    policy = ApprovalPolicy.objects.select_for_update().get(code=snapshot["policy"])
    if policy.version != snapshot["base_version"]:
        raise ApprovalRefused(
            "stale",
            _(
                "policy %(policy)s changed since the request (v%(asked)s → v%(now)s); "
                "propose the change again"
            )
            % {"policy": policy.code, "asked": snapshot["base_version"], "now": policy.version},
        )
    policy.definition = snapshot["definition"]
    policy.version += 1
    policy.save(update_fields=["definition", "version", "updated_at"])


class PolicyChangeSnapshot(pydantic.BaseModel):
    """What a change of an approval policy approves."""

    model_config = pydantic.ConfigDict(extra="forbid")

    policy: str
    base_version: int
    definition: dict[str, Any]


def _validate_policy_change(snapshot: dict[str, Any]) -> None:
    if not ApprovalPolicy.objects.filter(code=snapshot["policy"]).exists():
        raise ApprovalRefused(
            "unknown_policy", _("no approval policy %(policy)r") % {"policy": snapshot["policy"]}
        )
    try:
        engine.Policy.from_data({**snapshot["definition"], "code": snapshot["policy"]})
    except (engine.PolicyError, KeyError, TypeError, ValueError) as exc:
        raise ApprovalRefused("bad_policy", str(exc)) from None


register_kind(
    "approvals.policy_change",
    policy="policy_change",
    apply=_apply_policy_change,
    validate=_validate_policy_change,
    schema=PolicyChangeSnapshot,
)
