"""Changes under control (SRM 8-3, 11-3..5, 17, 20, 22): creating a change with its planned
dates, moving it through its stages under the stage rules, the approvals those rules ask for
(through the shared approvals), the SRM 8-3 participants' signatures, the acceptance
inspection, progress and slippage, and the emergency change approved after the fact.

:func:`approval_blockers` tells the deploy gate why a change's approvals are incomplete.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext_lazy

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.core.errors import Refused
from mamori.operations.models import (
    AcceptanceInspection,
    Change,
    ChangeFinding,
    ChangeParticipant,
    ChangeSetting,
    StageApproval,
    StagePlan,
    StageRule,
    System,
)
from mamori.operations.services.gate import Blocker

__all__ = [
    "FLOW",
    "KIND",
    "STAGE_LABELS",
    "Blocker",
    "ChangeRefused",
    "advance",
    "apply_stage_approval",
    "approval_blockers",
    "check_emergency_reviews",
    "create",
    "inspect",
    "missing_approvals",
    "on_closed",
    "progress",
    "released_at",
    "request_approval",
    "rule_for",
    "setting",
    "sign_participation",
    "slippage_days",
    "stage_label",
    "stage_policy",
    "unsigned_sides",
]

KIND = "operations.change_stage"
#: The stages a change goes through, in order.
FLOW = [
    Change.Stage.PLAN,
    Change.Stage.DESIGN,
    Change.Stage.BUILD,
    Change.Stage.TEST,
    Change.Stage.ACCEPTANCE,
    Change.Stage.RELEASE,
    Change.Stage.REVIEW,
    Change.Stage.CLOSED,
]
RELEASED = {Change.Stage.RELEASE, Change.Stage.REVIEW, Change.Stage.CLOSED}


class ChangeRefused(Refused):
    """A change action refused; ``code`` is stable for machines."""


def setting() -> ChangeSetting:
    """Return the change-control setting (made with its defaults if missing)."""
    found = ChangeSetting.objects.first()
    return found if found is not None else ChangeSetting.objects.create()


def _next_reference(year: int) -> str:
    prefix = f"CHG-{year}-"
    last = (
        Change.objects.filter(reference__startswith=prefix).aggregate(m=Max("reference")).get("m")
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:03d}"


def create(
    by: User,
    *,
    title: str,
    kind: str,
    category: str,
    responsible: User,
    systems: list[System],
    planned: dict[str, date | None],
    description: str = "",
    user_participant: User | None = None,
    risk_participant: User | None = None,
) -> Change:
    """Open a change at the *plan* stage with its planned dates per stage; a new or changed
    service names its user-department and risk-management participants (SRM 8-3)."""
    problems = []
    if not title.strip():
        problems.append(("title", gettext("give the change a title")))
    if not systems:
        problems.append(("systems", gettext("name the systems it touches")))
    if category == Change.Category.NEW_SERVICE and not (user_participant and risk_participant):
        problems.append(
            (
                "participants",
                gettext(
                    "a new or changed service needs a user-department and a "
                    "risk-management participant (SRM 8-3)"
                ),
            )
        )
    if user_participant and risk_participant and user_participant == risk_participant:
        problems.append(
            ("risk_participant", gettext("the two participants must be different people"))
        )
    if problems:
        raise ChangeRefused(
            "incomplete",
            gettext("Refused: %(problems)s") % {"problems": "; ".join(p[1] for p in problems)},
            fields=problems,
        )
    now = timezone.now()
    with transaction.atomic():
        change = Change.objects.create(
            reference=_next_reference(timezone.localdate(now).year),
            title=title.strip()[:300],
            description=description.strip(),
            kind=kind,
            category=category,
            responsible=responsible,
            created_by=by,
            created_at=now,
        )
        change.systems.set(systems)
        for stage in FLOW:
            StagePlan.objects.create(
                change=change,
                stage=stage,
                planned_on=planned.get(stage),
                reached_at=now if stage == Change.Stage.PLAN else None,
                reached_by=by if stage == Change.Stage.PLAN else None,
            )
        for side, person in (
            (ChangeParticipant.Side.USER, user_participant),
            (ChangeParticipant.Side.RISK, risk_participant),
        ):
            if person is not None:
                ChangeParticipant.objects.create(change=change, side=side, person=person)
    return change


def rule_for(kind: str, stage: str) -> StageRule | None:
    """Return the rule for entering ``stage`` with a change of ``kind`` (None: no approval)."""
    return StageRule.objects.filter(kind=kind, stage=stage, needs_approval=True).first()


def _approved(change: Change, stage: str) -> StageApproval | None:
    return change.stage_approvals.filter(stage=stage, status=StageApproval.Status.APPROVED).first()


def missing_approvals(change: Change, *, upto: str, after_the_fact: bool = False) -> list[str]:
    """Return the stages up to ``upto`` whose rule asks for an approval not yet given;
    ``after_the_fact`` includes the approvals an emergency change may get after release."""
    missing = []
    last = FLOW.index(Change.Stage(upto))
    for stage in FLOW[1 : last + 1]:
        rule = rule_for(change.kind, stage)
        if rule is None or (rule.after_the_fact and not after_the_fact):
            continue
        if _approved(change, stage) is None:
            missing.append(str(stage))
    return missing


def unsigned_sides(change: Change) -> list[ChangeParticipant.Side]:
    """The SRM 8-3 sides that have not signed a new or changed service."""
    if change.category != Change.Category.NEW_SERVICE:
        return []
    signed = {p.side for p in change.participants.all() if p.signed_at is not None and p.person_id}
    return [side for side in ChangeParticipant.Side if side not in signed]


#: The stages' names in the change flow ("acceptance" alone reads as risk acceptance).
STAGE_LABELS = {
    Change.Stage.PLAN: pgettext_lazy("change stage", "plan"),
    Change.Stage.DESIGN: pgettext_lazy("change stage", "design"),
    Change.Stage.BUILD: pgettext_lazy("change stage", "build"),
    Change.Stage.TEST: pgettext_lazy("change stage", "test"),
    Change.Stage.ACCEPTANCE: pgettext_lazy("change stage", "acceptance inspection"),
    Change.Stage.RELEASE: pgettext_lazy("change stage", "release"),
    Change.Stage.REVIEW: pgettext_lazy("change stage", "post-change review"),
    Change.Stage.CLOSED: pgettext_lazy("change stage", "closed"),
    Change.Stage.CANCELLED: pgettext_lazy("change stage", "cancelled"),
}


def stage_label(stage: str) -> str:
    """Return the name of ``stage`` in the reader's language."""
    return str(STAGE_LABELS[Change.Stage(stage)])


_stage_label = stage_label


def advance(change: Change, by: User, *, to: str | None = None) -> Change:
    """Move the change to its next stage (or, an emergency change, straight to *release*);
    refused naming what the stage rule, SRM 8-3 or SRM 20 still asks for."""
    with transaction.atomic():
        change = Change.objects.select_for_update().get(pk=change.pk)
        if change.stage in (Change.Stage.CLOSED, Change.Stage.CANCELLED):
            raise ChangeRefused(
                "finished",
                gettext("%(ref)s is %(stage)s.")
                % {"ref": change.reference, "stage": stage_label(change.stage)},
                status=409,
            )
        position = FLOW.index(Change.Stage(change.stage))
        target = Change.Stage(to) if to else FLOW[position + 1]
        jump = (
            change.kind == Change.Kind.EMERGENCY
            and target == Change.Stage.RELEASE
            and position < FLOW.index(Change.Stage.RELEASE)
        )
        if target != FLOW[position + 1] and not jump:
            raise ChangeRefused(
                "not_next",
                gettext("Expected the next stage %(next)s, got %(to)s.")
                % {"next": FLOW[position + 1], "to": target},
                status=409,
            )
        _check_entry(change, target)
        change.stage = target
        change.save(update_fields=["stage"])
        now = timezone.now()
        StagePlan.objects.update_or_create(
            change=change, stage=target, defaults={"reached_at": now, "reached_by": by}
        )
        if target in (Change.Stage.RELEASE, Change.Stage.REVIEW):  # the review opens at release
            from mamori.operations.services import change_reviews

            change_reviews.open_review(change)
    return change


#: The stages a change may be cancelled in: once released it is reviewed (SRM 22), not cancelled.
CANCELLABLE = (
    Change.Stage.PLAN,
    Change.Stage.DESIGN,
    Change.Stage.BUILD,
    Change.Stage.TEST,
    Change.Stage.ACCEPTANCE,
)


def cancel(change: Change, by: User, reason: str) -> Change:
    """Cancel a change not yet released, saying why; the deploy gate answers *no-go* for it
    from then on, and its approval requests still waiting are withdrawn. Only its responsible
    person or a systems manager may. Refused once released (its post-change review is due) or
    finished, and once the gate said *go* for it or it reached production: what may have been
    deployed is reviewed, not cancelled (SRM 22)."""
    from mamori.accounts.services.roles import has_permission
    from mamori.operations.models import Deployment, GateDecision
    from mamori.operations.services import gate

    if by.pk != change.responsible_id and not has_permission(by, "systems.manage"):
        raise ChangeRefused(
            "not_yours",
            gettext("Only the person responsible for %(ref)s or a systems manager cancels it.")
            % {"ref": change.reference},
            status=403,
        )
    if not reason.strip():
        raise ChangeRefused(
            "reason_required",
            gettext("Say why the change is cancelled."),
            fields=[("reason", gettext("This field is required."))],
        )
    with transaction.atomic():
        change = Change.objects.select_for_update().get(pk=change.pk)
        if change.stage not in CANCELLABLE:
            raise ChangeRefused(
                "not_cancellable",
                gettext(
                    "%(ref)s is at %(stage)s: only a change not yet released is cancelled; "
                    "a released one is reviewed (SRM 22)."
                )
                % {"ref": change.reference, "stage": stage_label(change.stage)},
                status=409,
            )
        went = GateDecision.objects.filter(change=change, outcome=GateDecision.Outcome.GO)
        deployed = any(gate.reached_production(d) for d in Deployment.objects.filter(change=change))
        if went.exists() or deployed:
            raise ChangeRefused(
                "gate_passed",
                gettext(
                    "%(ref)s had a go from the deploy gate or reached production: it is "
                    "released and reviewed (SRM 22), not cancelled."
                )
                % {"ref": change.reference},
                status=409,
            )
        change.stage = Change.Stage.CANCELLED
        change.cancelled_reason = reason.strip()[:2000]
        change.cancelled_by = by
        change.cancelled_at = timezone.now()
        change.save(update_fields=["stage", "cancelled_reason", "cancelled_by", "cancelled_at"])
        why = f"{change.reference} cancelled"
        for asked in waiting_requests(change):
            approvals.withdraw(asked, why)
    return change


def waiting_requests(change: Change) -> list[ApprovalRequest]:
    """The approval requests about ``change`` still waiting: its stage approvals and the
    overrides of the deploy gate asked for it."""
    from mamori.operations.services.gate import OVERRIDE_KIND

    pending = ApprovalRequest.objects.filter(status=ApprovalRequest.Status.PENDING)
    asked = StageApproval.objects.filter(change=change).values("approval_id")
    stages = pending.filter(pk__in=asked)
    overrides = pending.filter(kind=OVERRIDE_KIND, snapshot__change=change.reference)
    return sorted({*stages, *overrides}, key=lambda r: r.pk)


def _check_entry(change: Change, target: str) -> None:
    problems = []
    missing = missing_approvals(change, upto=target)
    if missing:
        problems.append(
            gettext("approval missing for: %(stages)s")
            % {"stages": ", ".join(_stage_label(s) for s in missing)}
        )
    if FLOW.index(Change.Stage(target)) > FLOW.index(Change.Stage.DESIGN) and unsigned_sides(
        change
    ):
        problems.append(
            gettext("the user and risk-management departments have not both signed (SRM 8-3)")
        )
    if target == Change.Stage.RELEASE and change.kind != Change.Kind.EMERGENCY:
        latest = change.inspections.order_by("-decided_at").first()
        if latest is None or latest.decision != AcceptanceInspection.Decision.GO:
            problems.append(gettext("no acceptance inspection decided fit for use (SRM 20)"))
    if target == Change.Stage.CLOSED:
        review = getattr(change, "post_review", None)
        if review is None or review.completed_at is None:
            problems.append(gettext("the post-change review is not signed (SRM 22)"))
    if problems:
        raise ChangeRefused(
            "stage_blocked",
            gettext("%(stage)s cannot start: %(problems)s")
            % {"stage": _stage_label(target), "problems": "; ".join(problems)},
            status=409,
        )


def stage_policy(snapshot: dict[str, Any]) -> str:
    """The policy a stage approval is decided under: the stage rule's, chosen by the server."""
    rule = rule_for(str(snapshot.get("kind", "")), str(snapshot.get("stage", "")))
    if rule is None or not rule.policy:
        raise ChangeRefused("no_rule", gettext("No stage rule asks for this approval."), status=409)
    return rule.policy


def _snapshot(change: Change, stage: str) -> dict[str, Any]:
    return {
        "change": change.reference,
        "title": change.title,
        "kind": change.kind,
        "category": change.category,
        "stage": stage,
        "responsible": change.responsible.get_username(),
        "systems": sorted(s.code for s in change.systems.all()),
    }


def request_approval(change: Change, stage: str, by: User) -> StageApproval:
    """Ask for the approval the rule of ``stage`` needs (SRM 11-3); one open at a time."""
    if stage not in Change.Stage.values or rule_for(change.kind, stage) is None:
        raise ChangeRefused(
            "no_rule",
            gettext("Entering %(stage)s needs no approval for a %(kind)s change.")
            % {"stage": stage, "kind": change.get_kind_display()},
        )
    with transaction.atomic():
        Change.objects.select_for_update().get(pk=change.pk)
        change.stage_approvals.filter(
            status=StageApproval.Status.PENDING,
            approval__status__in=[ApprovalRequest.Status.REJECTED, ApprovalRequest.Status.EXPIRED],
        ).update(status=StageApproval.Status.REJECTED)
        if change.stage_approvals.filter(
            stage=stage,
            status__in=[StageApproval.Status.PENDING, StageApproval.Status.APPROVED],
        ).exists():
            raise ChangeRefused(
                "already_asked",
                gettext("An approval for %(stage)s is already asked for or given.")
                % {"stage": _stage_label(stage)},
                status=409,
            )
        request = approvals.submit(
            KIND,
            f"{change.reference} → {stage}: {change.title}",
            _snapshot(change, stage),
            by,
        )
        return StageApproval.objects.create(
            change=change,
            stage=stage,
            approval=request,
            requested_by=by,
            requested_at=timezone.now(),
        )


def apply_stage_approval(request: ApprovalRequest) -> None:
    """Record the approval of a stage once the approvers decided (refused for a change
    cancelled or closed meanwhile)."""
    found = StageApproval.objects.select_for_update().select_related("change").get(approval=request)
    if found.change.stage in (Change.Stage.CLOSED, Change.Stage.CANCELLED):
        raise ChangeRefused(
            "finished",
            gettext("%(ref)s is %(stage)s.")
            % {"ref": found.change.reference, "stage": stage_label(found.change.stage)},
            status=409,
        )
    approvals.verify(request, _snapshot(found.change, found.stage))
    found.status = StageApproval.Status.APPROVED
    found.approved_at = timezone.now()
    found.save(update_fields=["status", "approved_at"])


def on_closed(request: ApprovalRequest) -> None:
    """A rejected or expired stage approval is *rejected*: it may be asked for again."""
    if request.kind != KIND or request.status == ApprovalRequest.Status.APPROVED:
        return
    StageApproval.objects.filter(approval=request, status=StageApproval.Status.PENDING).update(
        status=StageApproval.Status.REJECTED
    )


def sign_participation(change: Change, by: User) -> ChangeParticipant:
    """Sign as the user-department or risk-management participant named (SRM 8-3)."""
    found = change.participants.filter(person=by, signed_at__isnull=True).first()
    if found is None:
        raise ChangeRefused(
            "not_a_participant",
            gettext("Only a participant named on %(ref)s who has not signed may sign.")
            % {"ref": change.reference},
            status=403,
        )
    found.signed_at = timezone.now()
    found.save(update_fields=["signed_at"])
    return found


def inspect(
    change: Change,
    by: User,
    *,
    artifact_digest: str,
    practical_tests: str,
    decision: str,
    notes: str = "",
) -> AcceptanceInspection:
    """Record the acceptance inspection (SRM 20): decided by someone other than the person
    responsible for the change, at the acceptance stage — or, for an emergency
    change that jumped to release, at release (its inspection is part of the after-the-fact
    review, and the deploy gate still asks for it)."""
    problems = []
    if by.pk == change.responsible_id:
        problems.append(
            ("decided_by", gettext("the person responsible for the change may not decide"))
        )
    emergency_at_release = (
        change.kind == Change.Kind.EMERGENCY and change.stage == Change.Stage.RELEASE
    )
    if change.stage != Change.Stage.ACCEPTANCE and not emergency_at_release:
        problems.append(("stage", gettext("the change is not at the acceptance stage")))
    if not artifact_digest.strip():
        problems.append(("artifact_digest", gettext("name the artifact digest inspected")))
    if not practical_tests.strip():
        problems.append(("practical_tests", gettext("say which practical tests were run")))
    if decision not in AcceptanceInspection.Decision.values:
        problems.append(("decision", gettext("decide fit or not fit for use")))
    if problems:
        raise ChangeRefused(
            "bad_inspection",
            gettext("Refused: %(problems)s") % {"problems": "; ".join(p[1] for p in problems)},
            fields=problems,
        )
    return AcceptanceInspection.objects.create(
        change=change,
        artifact_digest=artifact_digest.strip()[:100],
        practical_tests=practical_tests.strip(),
        decision=decision,
        decided_by=by,
        decided_at=timezone.now(),
        notes=notes.strip(),
    )


def progress(change: Change, today: date | None = None) -> list[dict[str, Any]]:
    """Each stage with its planned date, when reached and the days it was (or is) late."""
    today = today or timezone.localdate()
    rows = []
    for plan in sorted(change.stage_plans.all(), key=lambda p: FLOW.index(Change.Stage(p.stage))):
        reached = timezone.localdate(plan.reached_at) if plan.reached_at else None
        late = 0
        if plan.planned_on is not None:
            late = max(0, ((reached or today) - plan.planned_on).days)
        rows.append(
            {
                "stage": plan.stage,
                "label": _stage_label(plan.stage),
                "planned_on": plan.planned_on,
                "reached_at": plan.reached_at,
                "late_days": late,
                "current": plan.stage == change.stage,
            }
        )
    return rows


def slippage_days(change: Change, today: date | None = None) -> int:
    """Days the change is behind its plan: the latest of its stages against the planned date
    (a stage not yet reached counts until today)."""
    if change.stage in (Change.Stage.CLOSED, Change.Stage.CANCELLED):
        return 0
    return max((row["late_days"] for row in progress(change, today)), default=0)


def _approval_missing(stage: str) -> str:
    return gettext("The approval for entering %(stage)s is missing.") % {
        "stage": _stage_label(stage)
    }


def _signature_missing(side: str) -> str:
    return gettext("The %(side)s participant has not signed (SRM 8-3).") % {
        "side": ChangeParticipant.Side(side).label
    }


def approval_blockers(change: Change) -> list[Blocker]:
    """Why the approvals of ``change`` are not complete for a release (the deploy gate asks):
    a stage approval its rules need up to release, the SRM 8-3 signatures. Messages are
    translated when shown, in the reader's language."""
    blockers = [
        Blocker("stage_approval_missing", lazy(_approval_missing, str)(stage))
        for stage in missing_approvals(change, upto=Change.Stage.RELEASE)
    ]
    blockers.extend(
        Blocker("participant_signature_missing", lazy(_signature_missing, str)(side))
        for side in unsigned_sides(change)
    )
    return blockers


def released_at(change: Change) -> datetime | None:
    """When the change reached *release* (None: not released)."""
    return (
        change.stage_plans.filter(stage=Change.Stage.RELEASE).values_list("reached_at", flat=True)
    ).first()


def check_emergency_reviews(now: datetime | None = None) -> int:
    """Raise, once, a finding for every emergency change released more than the set hours
    ago whose after-the-fact approvals are still missing (SRM 17). Return how many."""
    now = now or timezone.now()
    hours = setting().emergency_review_hours
    raised = 0
    for change in Change.objects.filter(kind=Change.Kind.EMERGENCY, stage__in=RELEASED):
        released = released_at(change)
        if released is None or released + timedelta(hours=hours) > now:
            continue
        deadline = released + timedelta(hours=hours)
        late = [
            stage
            for stage in FLOW[1 : FLOW.index(Change.Stage.RELEASE) + 1]
            if rule_for(change.kind, stage) is not None
            and not change.stage_approvals.filter(
                stage=stage, status=StageApproval.Status.APPROVED, approved_at__lte=deadline
            ).exists()
        ]
        if not late:
            continue
        _finding, created = ChangeFinding.objects.get_or_create(
            key=f"emergency_review_late:{change.reference}",
            defaults={
                "kind": ChangeFinding.Kind.EMERGENCY_REVIEW_LATE,
                "change": change,
                "detail": {
                    "released_at": released.isoformat(),
                    "deadline": deadline.isoformat(),
                    "stages": late,
                },
                "raised_at": now,
            },
        )
        raised += int(created)
    return raised
