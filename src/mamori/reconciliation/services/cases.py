"""Discrepancy cases (ISM 34-2): opened at once with a notice to the responsible person,
worked with a cause and actions, closed only through approval — and a program defect only
with its fix linked. Missing coins above the asset's limit halt its withdrawals."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.custody.models import Asset
from mamori.engines import reconcile as engine
from mamori.engines import threshold
from mamori.notifications.services import Recipient, notify
from mamori.reconciliation.models import AssetPolicy, Case, CaseAction, Run

__all__ = [
    "KIND",
    "POLICY",
    "CaseRefused",
    "add_action",
    "apply_close",
    "assign",
    "on_closed",
    "open_for",
    "request_close",
    "set_cause",
    "tell_failed",
]

KIND = "reconciliation.case_close"
POLICY = "reconciliation_case_close"
ESCALATE_AFTER = timedelta(minutes=30)


class CaseRefused(ValueError):
    """A change to a case that is not allowed, with the reason."""


def _levels(asset_code: str) -> list[list[Recipient]]:
    asset = Asset.objects.filter(code=asset_code).select_related("responsible").first()
    first = [Recipient(role="ciso")]
    if asset is not None and asset.responsible is not None:
        first = [Recipient(username=asset.responsible.username)]
    return [first, [Recipient(role="system_general_manager"), Recipient(role="ciso")]]


def _note(case: Case, text: str, by: User | None = None) -> CaseAction:
    return CaseAction.objects.create(case=case, at=timezone.now(), by=by, text=text)


def _order_halt(case: Case, outcome: engine.AssetOutcome) -> None:
    from mamori.custody.services import monitor

    policy = AssetPolicy.objects.filter(asset__code=outcome.asset).first()
    missing = -(outcome.difference or 0)
    if policy is None or policy.halt_above_units is None or missing < policy.halt_above_units:
        return
    order = threshold.HaltOrder(
        f"reconciliation-run{case.run_id}-{outcome.asset}",
        timezone.now(),
        threshold.HaltScope.ASSET,
        outcome.asset,
        "reconciliation",
        f"reconciliation run {case.run_id}: {missing} base units of {outcome.asset} missing "
        f"on chain (limit {policy.halt_above_units})",
    )
    monitor.decide(order)
    case.halt_ordered = True
    case.save(update_fields=["halt_ordered"])
    _note(case, f"withdrawals of {outcome.asset} halted: {order.reason}")


def open_for(run: Run, outcome: engine.AssetOutcome) -> Case:
    """Open a case for an asset that differs (or note the run on its open case) and tell
    the responsible person at once."""
    difference = outcome.difference or 0
    wallets = [w for w in outcome.wallets if w.status is engine.Status.DIFFERENCE]
    where = ", ".join(f"{w.wallet} {w.difference:+}" for w in wallets)
    with transaction.atomic():
        case = Case.objects.filter(asset=outcome.asset).exclude(status=Case.Status.CLOSED).first()
        if case is not None:
            _note(case, f"run {run.pk}: the difference is {difference:+} ({where or 'total'})")
            return case
        owner = Asset.objects.filter(code=outcome.asset).values_list("responsible", flat=True)
        case = Case.objects.create(
            asset=outcome.asset,
            wallet=",".join(w.wallet for w in wallets),
            run=run,
            difference=difference,
            owner_id=owner.first(),
            opened_at=timezone.now(),
        )
        _note(case, f"opened by run {run.pk}: chain − book − in flight = {difference:+} {where}")
        notify(
            "reconciliation.difference",
            "critical",
            (
                f"残高不一致: {outcome.asset} {difference:+}",
                f"Reconciliation difference: {outcome.asset} {difference:+}",
            ),
            (
                f"照合 {run.pk} で帳簿とブロックチェーン上の数量に差異があります（{where}）。"
                "原因を調査し、資産を保全してください（ISM 34-2）。",
                f"Run {run.pk} found the book and the chain differ ({where}). Find the cause "
                "and protect the assets (ISM 34-2).",
            ),
            _levels(outcome.asset),
            requires_ack=True,
            escalate_after=ESCALATE_AFTER,
            link=f"/reconciliation/cases/{case.pk}/",
        )
        _order_halt(case, outcome)
    return case


def tell_failed(run: Run) -> None:
    """Tell the CISO and the system general manager that a run could not complete."""
    notify(
        "reconciliation.failed",
        "critical",
        (f"照合が失敗しました（{run.pk}）", f"Reconciliation run {run.pk} failed"),
        (run.reason[:1000], run.reason[:1000]),
        [[Recipient(role="ciso"), Recipient(role="system_general_manager")]],
        link=f"/reconciliation/runs/{run.pk}/",
    )


def _open(case: Case) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == Case.Status.CLOSED:
        raise CaseRefused(f"case {case.pk} is closed")
    return case


def assign(case: Case, owner: User, by: User) -> Case:
    """Give the case to ``owner``."""
    with transaction.atomic():
        case = _open(case)
        case.owner = owner
        case.save(update_fields=["owner"])
        _note(case, f"owner: {owner.username}", by)
    return case


def set_cause(
    case: Case, cause: str, by: User, fix_reference: str = "", incident_reference: str = ""
) -> Case:
    """Record the cause found and the change record or incident it links to."""
    if cause not in Case.Cause.values:
        raise CaseRefused(f"unknown cause {cause!r}; one of: {', '.join(Case.Cause.values)}")
    with transaction.atomic():
        case = _open(case)
        if case.status == Case.Status.AWAITING:
            raise CaseRefused("the case waits for approval to close; it cannot change now")
        case.cause = cause
        case.fix_reference = fix_reference.strip()
        case.incident_reference = incident_reference.strip()
        case.save(update_fields=["cause", "fix_reference", "incident_reference"])
        _note(case, f"cause: {cause} {case.fix_reference} {case.incident_reference}".strip(), by)
    return case


def add_action(case: Case, text: str, by: User) -> CaseAction:
    """Record an action taken on the case."""
    if not text.strip():
        raise CaseRefused("an action needs its description")
    with transaction.atomic():
        case = _open(case)
        return _note(case, text.strip(), by)


def _snapshot(case: Case) -> dict[str, str]:
    return {
        "case": str(case.pk),
        "asset": case.asset,
        "difference": str(case.difference),
        "cause": case.cause,
        "fix_reference": case.fix_reference,
        "incident_reference": case.incident_reference,
        "resolution": case.resolution,
    }


def request_close(case: Case, resolution: str, by: User) -> ApprovalRequest:
    """Ask to close the case with ``resolution``; refused without a cause, or for a program
    defect without its fix linked."""
    with transaction.atomic():
        case = _open(case)
        if case.status == Case.Status.AWAITING:
            raise CaseRefused("closing this case already waits for approval")
        if case.cause == Case.Cause.UNKNOWN:
            raise CaseRefused("the cause is still unknown: record the cause before closing")
        if case.cause == Case.Cause.PROGRAM_DEFECT and not case.fix_reference:
            raise CaseRefused(
                "a program defect caused this difference: link the change record that fixed "
                "the program before closing (ISM 34-2)"
            )
        if not resolution.strip():
            raise CaseRefused("say how the case was resolved")
        case.resolution = resolution.strip()
        request = approvals.submit(
            KIND,
            f"Close reconciliation case {case.pk} ({case.asset})",
            _snapshot(case),
            by,
        )
        case.status = Case.Status.AWAITING
        case.close_request = request
        case.save(update_fields=["resolution", "status", "close_request"])
        _note(case, f"closing requested: {case.resolution}", by)
    return request


def apply_close(request: ApprovalRequest) -> None:
    """Close exactly the case that was approved."""
    case = Case.objects.select_for_update().get(close_request=request)
    approvals.verify(request, _snapshot(case))
    case.status = Case.Status.CLOSED
    case.closed_at = timezone.now()
    case.save(update_fields=["status", "closed_at"])
    _note(case, f"closed after approval #{request.pk}")


def on_closed(request: ApprovalRequest) -> None:
    """Reopen a case whose closing was rejected or expired."""
    if request.kind != KIND or request.status == ApprovalRequest.Status.APPROVED:
        return
    case = Case.objects.filter(close_request=request, status=Case.Status.AWAITING).first()
    if case is not None:
        case.status = Case.Status.OPEN
        case.save(update_fields=["status"])
        _note(case, f"closing was {request.status}; the case is open again")
