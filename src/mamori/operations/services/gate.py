"""The deploy gate (SRM 19, 20): *go* or *no-go* for one artifact digest of a change, with
every reason, kept; overrides as approvals; deployments without a *go* become findings.

:func:`decide` runs every check and stores a :class:`~mamori.operations.models.GateDecision`.
It answers *go* only when no check names a blocker:

- **approvals** — the checks registered with :func:`register_check` (the change module's
  ``approval_blockers(change)``). While none is registered the gate does not assume approvals
  are complete: it asks that the change has reached the acceptance or release stage.
- **quality** — every system the change touches has a quality plan with criteria, each met by
  the evidence of the build with exactly this digest; evidence of a kind the plan needs but the
  build lacks is its own reason (``evidence_missing``).
- **acceptance** — the newest acceptance inspection for this digest decided *go*.
- **secure coding** — the responsible person attested to the standard in force.
- **freeze** — no freeze window covering now names a touched system (or all).
- **incidents** — no open (not recovered or closed) real incident of severity S1 anywhere, nor
  of S2 naming a touched system: an S1 stops every release, an S2 the systems it hits.

An approved override (:data:`OVERRIDE_KIND`) for the digest turns the next *no-go* into a
*go* that keeps the reasons and names the override — never silently.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from mamori.accounts.models import ApiToken, ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.core.errors import Refused
from mamori.operations.models import (
    AcceptanceInspection,
    Change,
    ChangeFinding,
    Deployment,
    GateDecision,
    GateOverride,
    Incident,
)
from mamori.operations.services import evaluation

__all__ = [
    "OVERRIDE_KIND",
    "OVERRIDE_POLICY",
    "OVERRIDE_VALID",
    "PRODUCTION",
    "Blocker",
    "GateRefused",
    "apply_override",
    "check_digest",
    "decide",
    "find_change",
    "record_deployment",
    "register_check",
    "registered_checks",
    "request_override",
    "resolve_finding",
]

log = logging.getLogger("mamori.operations.gate")

OVERRIDE_KIND = "operations.gate_override"
OVERRIDE_POLICY = "gate_override"
#: how long an approved override waits to be used; after that a new one is needed
OVERRIDE_VALID = timedelta(days=7)
#: The environment names that are production (compared case-insensitively).
PRODUCTION = frozenset({"production", "prod", "prd", "live"})
#: The stages a change may be released from while no approval check is registered.
RELEASABLE_STAGES = frozenset({Change.Stage.ACCEPTANCE, Change.Stage.RELEASE})
#: How many times a question that lost a race for an override is answered again.
RACE_RETRIES = 5
#: Deployment states that did not reach the environment (GitHub and GitLab spellings): ended
#: without deploying, or not started yet — waiting in a queue or for a reviewer. Such an
#: event raises no finding; the same deployment's next event (``in_progress``, ``success``)
#: does, once per deployment. ``inactive`` (GitHub: replaced by a newer deployment) reached it.
NOT_DEPLOYED = frozenset(
    {
        "failure", "failed", "error", "canceled", "cancelled", "skipped",
        "queued", "pending", "created", "blocked", "waiting",
    }
)  # fmt: skip
_OPEN_INCIDENT = [Incident.Status.REPORTED, Incident.Status.RESPONDING, Incident.Status.CONTAINED]


@dataclass(frozen=True)
class Blocker:
    """One reason the gate says *no-go*: a stable ``code``, a translated ``message`` (lazy
    ones are read in the language active when the answer is kept) and the facts behind it
    (``detail``)."""

    code: str
    message: str | Promise
    detail: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the reason as stored and answered."""
        return {"code": self.code, "message": str(self.message), "detail": dict(self.detail)}


class GateRefused(Refused):
    """A question to the gate, an override or a deployment refused."""


Check = Callable[[Change], Iterable[Any]]
_CHECKS: list[Check] = []


def register_check(fn: Check) -> Check:
    """Add ``fn(change)`` to the approval checks: it returns the blockers (anything with
    ``code`` and ``message``, optionally ``detail``) of the change, empty when none. Return
    ``fn`` (usable as a decorator); registering the same function again does nothing."""
    if fn not in _CHECKS:
        _CHECKS.append(fn)
    return fn


def registered_checks() -> list[Check]:
    """Return the registered approval checks, in order."""
    return list(_CHECKS)


def _as_blocker(found: Any) -> Blocker:
    if isinstance(found, Blocker):
        return found
    return Blocker(str(found.code), str(found.message), dict(getattr(found, "detail", {}) or {}))


def _approval_blockers(change: Change) -> list[Blocker]:
    """Return the stage blocker (a change is released from acceptance or release only: never
    one cancelled, closed or still in design) and the registered approval checks' blockers."""
    found = [_as_blocker(b) for check in _CHECKS for b in check(change)]
    if change.stage in RELEASABLE_STAGES:
        return found
    return [
        Blocker(
            "stage_not_releasable",
            _("The change is at the stage %(stage)s, not acceptance or release.")
            % {"stage": change.get_stage_display()},
            {"stage": change.stage},
        ),
        *found,
    ]


def _acceptance_blockers(change: Change, digest: str) -> list[Blocker]:
    newest = (
        AcceptanceInspection.objects.filter(change=change, artifact_digest=digest)
        .order_by("-decided_at", "-pk")
        .first()
    )
    if newest is None:
        return [
            Blocker(
                "acceptance_missing",
                _("No acceptance inspection is recorded for this artifact."),
                {"artifact_digest": digest},
            )
        ]
    if newest.decision != AcceptanceInspection.Decision.GO:
        return [
            Blocker(
                "acceptance_no_go",
                _("The newest acceptance inspection found the artifact not fit for use."),
                {"inspection": newest.pk, "decided_at": newest.decided_at.isoformat()},
            )
        ]
    return []


def _attestation_blockers(change: Change) -> list[Blocker]:
    from mamori.operations.services.quality import current_standard

    standard = current_standard()
    if standard is None:
        return [Blocker("standard_missing", _("No secure-coding standard is published."), {})]
    if change.attestations.filter(standard=standard).exists():
        return []
    older = change.attestations.order_by("-standard__version").first()
    if older is not None:
        return [
            Blocker(
                "attestation_outdated",
                _(
                    "The responsible person attested to version %(old)s of the secure-coding "
                    "standard; version %(new)s is in force."
                )
                % {"old": older.standard.version, "new": standard.version},
                {"attested": older.standard.version, "current": standard.version},
            )
        ]
    return [
        Blocker(
            "attestation_missing",
            _("The responsible person has not attested to the secure-coding standard v%(v)s.")
            % {"v": standard.version},
            {"current": standard.version},
        )
    ]


def _freeze_blockers(change: Change, now: datetime) -> list[Blocker]:
    from mamori.operations.models import FreezeWindow

    systems = list(change.systems.values_list("pk", flat=True))
    windows = (
        FreezeWindow.objects.filter(starts_at__lte=now, ends_at__gt=now)
        .filter(Q(all_systems=True) | Q(systems__in=systems))
        .distinct()
    )
    return [
        Blocker(
            "freeze_window",
            _("A freeze window is in force until %(end)s: %(reason)s")
            % {
                "end": timezone.localtime(w.ends_at).strftime("%Y-%m-%d %H:%M"),
                "reason": w.reason,
            },
            {"window": w.pk, "ends_at": w.ends_at.isoformat()},
        )
        for w in windows
    ]


def _incident_blockers(change: Change) -> list[Blocker]:
    names = {
        n.casefold() for s in change.systems.all() for n in (s.code, s.name_ja, s.name_en) if n
    }
    found = []
    for incident in Incident.objects.filter(
        drill=False, status__in=_OPEN_INCIDENT, severity__in=["S1", "S2"]
    ).order_by("reference"):
        touched = {str(s).casefold() for s in incident.systems} & names
        if incident.severity == "S1" or touched:
            found.append(
                Blocker(
                    "incident_open",
                    _("The %(severity)s incident %(reference)s is open.")
                    % {"severity": incident.severity, "reference": incident.reference},
                    {"incident": incident.reference, "severity": incident.severity},
                )
            )
    return found


def check_digest(digest: str) -> str:
    """Return ``digest`` trimmed; refuse an empty one, one with spaces or over 100 characters."""
    digest = (digest or "").strip()
    if not digest or len(digest) > 100 or any(c.isspace() for c in digest):
        raise GateRefused(
            "bad_digest",
            _("Give the artifact digest (e.g. sha256:…, at most 100 characters)."),
            fields=[("artifact_digest", _("This field is required."))],
        )
    return digest


def find_change(reference: str) -> Change:
    """Return the change of ``reference`` (or of its id); refuse (404) one that does not exist."""
    change = Change.objects.filter(reference=reference).first()
    if change is None and reference.isdigit():
        change = Change.objects.filter(pk=int(reference)).first()
    if change is None:
        raise GateRefused(
            "no_change", _("No change %(ref)s.") % {"ref": reference[:40]}, status=404
        )
    return change


def blockers(change: Change, digest: str, now: datetime | None = None) -> list[Blocker]:
    """Return every reason the gate would say *no-go* for ``digest`` of ``change`` now."""
    now = now or timezone.now()
    return [
        *_approval_blockers(change),
        *evaluation.quality_blockers(change, digest),
        *_acceptance_blockers(change, digest),
        *_attestation_blockers(change),
        *_freeze_blockers(change, now),
        *_incident_blockers(change),
    ]


def _key(blocker: Blocker) -> str:
    return blocker.code + json.dumps(dict(blocker.detail), sort_keys=True, default=str)


def _reasons(change: Change, digest: str, now: datetime) -> list[dict[str, Any]]:
    """Return the reasons as stored: each with its message in the asker's language and, under
    ``messages``, in Japanese and in English, so that every reader sees it in theirs. The
    answer is the asker's evaluation; the other language's messages are matched to it by code
    and facts (never by position), so a record changing between the two cannot misattach one."""
    asked = "en" if (translation.get_language() or "ja").startswith("en") else "ja"
    other = "ja" if asked == "en" else "en"
    with translation.override(asked):
        found = blockers(change, digest, now)
    with translation.override(other):
        translated = {_key(b): str(b.message) for b in blockers(change, digest, now)}
    return [
        {
            **blocker.as_dict(),
            "messages": {
                asked: str(blocker.message),
                other: translated.get(_key(blocker), str(blocker.message)),
            },
        }
        for blocker in found
    ]


def _usable_override(change: Change, digest: str, codes: set[str], now: datetime) -> Any:
    """Return the approved, unused, unexpired override for ``digest`` whose approved reasons
    cover every reason the gate gives now (``codes``), locked; else None. An override approved
    for a coverage shortfall does not let through an acceptance *no-go* that came later."""
    candidates = (
        GateOverride.objects.select_for_update(of=("self",))
        .select_related("approval")
        .filter(
            change=change,
            artifact_digest=digest,
            decision__isnull=True,
            approved_at__gte=now - OVERRIDE_VALID,
        )
        .order_by("approved_at")
    )
    for override in candidates:
        if codes <= set(override.approval.snapshot.get("blockers", [])):
            return override
    return None


def decide(
    change: Change, artifact_digest: str, asked_by: User | ApiToken | None, via: str = "api"
) -> GateDecision:
    """Answer *go* or *no-go* for ``artifact_digest`` of ``change`` and keep the answer."""
    digest = check_digest(artifact_digest)
    now = timezone.now()
    found = _reasons(change, digest, now)
    for attempt in range(RACE_RETRIES + 1):
        try:
            decision = _keep(change, digest, found, asked_by, via, now)
            break
        except IntegrityError:
            # questions raced for one override (an override is used once, by one answer):
            # the one that lost it is answered again, with another override or none
            if attempt == RACE_RETRIES:
                raise
    log.info("gate %s for %s %s (%d reasons)", decision.outcome, change, digest, len(found))
    return decision


def _keep(
    change: Change,
    digest: str,
    found: list[dict[str, Any]],
    asked_by: User | ApiToken | None,
    via: str,
    now: datetime,
) -> GateDecision:
    """Keep the answer, using an override that covers every reason ``found`` if there is one."""
    with transaction.atomic():
        override = None
        if found:
            override = _usable_override(change, digest, {r["code"] for r in found}, now)
        return GateDecision.objects.create(
            change=change,
            artifact_digest=digest,
            outcome=GateDecision.Outcome.NO_GO if found and not override else "go",
            reasons=found,
            override=override,
            asked_by=asked_by if isinstance(asked_by, User) else None,
            asked_by_token=asked_by if isinstance(asked_by, ApiToken) else None,
            asked_via=via,
            asked_at=now,
        )


def _refuse_if_finished(change: Change) -> None:
    """A cancelled or closed change is not released: no override lets it through the gate."""
    if change.stage in (Change.Stage.CANCELLED, Change.Stage.CLOSED):
        raise GateRefused(
            "change_finished",
            _("%(ref)s is cancelled or closed: nothing of it is released any more.")
            % {"ref": change.reference},
            status=409,
        )


def request_override(change: Change, artifact_digest: str, reason: str, by: User) -> Any:
    """Ask for an override of the gate for ``artifact_digest``, with the reason; the reasons
    the gate gives now are part of what is approved."""
    digest = check_digest(artifact_digest)
    _refuse_if_finished(change)
    if not reason.strip():
        raise GateRefused(
            "reason_required",
            _("An override needs its reason."),
            fields=[("reason", _("This field is required."))],
        )
    now_blocking = sorted({b.code for b in blockers(change, digest)})
    if not now_blocking:
        raise GateRefused(
            "nothing_to_override",
            _("The gate says go for this artifact now: there is nothing to override."),
            status=409,
        )
    snapshot = {
        "change": change.reference,
        "artifact_digest": digest,
        "reason": reason.strip(),
        "blockers": now_blocking,
        "responsible": change.responsible.get_username(),
    }
    return approvals.submit(
        OVERRIDE_KIND,
        f"Override the deploy gate for {change.reference} {digest[:30]}",
        snapshot,
        by,
    )


def apply_override(request: ApprovalRequest) -> None:
    """Keep the approved override: the next gate answer for the digest uses it, if it gives
    no reason beyond those approved and comes within :data:`OVERRIDE_VALID`."""
    snapshot = request.snapshot
    approvals.verify(request, snapshot)
    change = Change.objects.get(reference=snapshot["change"])
    _refuse_if_finished(change)
    GateOverride.objects.create(
        change=change,
        artifact_digest=snapshot["artifact_digest"],
        reason=snapshot["reason"],
        approval=request,
        approved_at=timezone.now(),
    )


#: How much earlier than mamori's clock a provider's clock may date a deployment: a go asked
#: just before the deployment still counts when the provider's time reads a little earlier.
CLOCK_SKEW = timedelta(minutes=5)


def reached_production(deployment: Deployment) -> bool:
    """Whether ``deployment`` is one to production that ran (not queued, failed or cancelled)."""
    return (
        deployment.environment.strip().casefold() in PRODUCTION
        and deployment.state.strip().casefold() not in NOT_DEPLOYED
    )


def had_go(deployment: Deployment) -> bool:
    """Whether the gate answered *go* for ``deployment``'s digest before it ran (a go under
    another change, or given only afterwards, does not count)."""
    went = GateDecision.objects.filter(
        artifact_digest=deployment.artifact_digest,
        outcome=GateDecision.Outcome.GO,
        asked_at__lte=deployment.at + CLOCK_SKEW,
    )
    if deployment.change_id is not None:
        went = went.filter(change_id=deployment.change_id)
        cancelled = Change.objects.filter(pk=deployment.change_id).values_list(
            "cancelled_at", flat=True
        )[0]
        if cancelled is not None and deployment.at > cancelled:
            return False  # a change cancelled before this deployment released nothing
    return went.exists()


def deployment_identity(deployment: Deployment) -> str:
    """One deployment, however many events tell of it: the sender's id for it (which names the
    receiving pipeline, when it came through one) or else its environment, and its digest."""
    where = deployment.external_id or deployment.environment.strip().casefold()
    return f"{where}:{deployment.artifact_digest}"


def record_deployment(
    environment: str,
    commit: str,
    artifact_digest: str,
    state: str,
    source: str,
    change_reference: str | None = None,
    at: datetime | None = None,
    *,
    external_id: str = "",
) -> Deployment:
    """Keep a deployment event; a production deployment of a digest no gate answered *go*
    before it raises one :class:`ChangeFinding` ``deploy_without_go`` per deployment
    (:func:`deployment_identity`)."""
    digest = check_digest(artifact_digest)
    at = at or timezone.now()
    change = None
    if change_reference:
        change = Change.objects.filter(reference=change_reference).first()
    with transaction.atomic():
        deployment = Deployment.objects.create(
            environment=environment[:60],
            commit=commit[:64],
            artifact_digest=digest,
            state=state[:30],
            source=source[:30],
            external_id=external_id[:100],
            change=change,
            at=at,
            recorded_at=timezone.now(),
        )
        if reached_production(deployment) and not had_go(deployment):
            ChangeFinding.objects.get_or_create(
                key=f"deploy_without_go:{deployment_identity(deployment)}"[:200],
                defaults={
                    "kind": ChangeFinding.Kind.DEPLOY_WITHOUT_GO,
                    "change": change,
                    "detail": {
                        "environment": environment,
                        "commit": commit,
                        "artifact_digest": digest,
                        "state": state,
                        "source": source,
                        "deployment": deployment.pk,
                        "at": at.isoformat(),
                    },
                    "raised_at": timezone.now(),
                },
            )
    return deployment


def resolve_finding(finding: ChangeFinding, by: User, reason: str) -> ChangeFinding:
    """Close ``finding`` with the reason; refuse one already resolved or without a reason."""
    if not reason.strip():
        raise GateRefused(
            "reason_required",
            _("Say how the finding was resolved."),
            fields=[("resolution", _("This field is required."))],
        )
    with transaction.atomic():
        locked = ChangeFinding.objects.select_for_update().get(pk=finding.pk)
        if locked.resolved_at is not None:
            raise GateRefused("already_resolved", _("The finding is already resolved."), status=409)
        locked.resolved_at = timezone.now()
        locked.resolved_by = by
        locked.resolution = reason.strip()
        locked.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    return locked
