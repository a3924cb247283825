"""Discrepancy cases (ISM 34-2): opened at once with a notice to the responsible person,
worked with a cause and actions, closed only through approval — and a program defect only
with its fix linked. Missing coins above the asset's limit order a halt of its withdrawals
from the custody monitor: the case records the halt only when the monitor confirms it, and
otherwise says it could not be made and tells the responsible person. A refused book opens a
case of its own."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.auditlog.context import because
from mamori.core.errors import Refused
from mamori.core.money import format_amount
from mamori.custody.models import Asset
from mamori.engines import reconcile as engine
from mamori.engines import threshold
from mamori.notifications.services import Recipient, notify
from mamori.reconciliation.models import AssetPolicy, BookImport, Case, CaseAction, Run

__all__ = [
    "KIND",
    "POLICY",
    "CaseRefused",
    "add_action",
    "apply_close",
    "assign",
    "describe_book",
    "note_book_accepted",
    "on_closed",
    "open_for",
    "open_for_refused_book",
    "request_close",
    "set_cause",
    "tell_failed",
]

KIND = "reconciliation.case_close"
POLICY = "reconciliation_case_close"
ESCALATE_AFTER = timedelta(minutes=30)
log = logging.getLogger(__name__)


class CaseRefused(Refused, ValueError):
    """A change to a case that is not allowed: a stable ``code`` and the reason. A case
    closed, or waiting for approval to close, refuses with 409."""


def _levels(asset_code: str) -> list[list[Recipient]]:
    asset = Asset.objects.filter(code=asset_code).select_related("responsible").first()
    first = [Recipient(role="ciso")]
    if asset is not None and asset.responsible is not None:
        first = [Recipient(username=asset.responsible.username)]
    return [first, [Recipient(role="system_general_manager"), Recipient(role="ciso")]]


def _shown(units: int, asset: str, language: str = "en", *, signed: bool = False) -> str:
    """Return ``units`` base units of ``asset`` in whole coins (``-40.000021 ETH``) for a
    notice or a case note (ISM 34-2); the base units with their label if the asset is not
    registered."""
    decimals = Asset.objects.filter(code=asset).values_list("decimals", flat=True).first()
    if decimals is None:
        plus = "+" if signed and units > 0 else ""
        return f"{plus}{units} {asset} ({'基本単位' if language == 'ja' else 'base units'})"
    return format_amount(units, decimals, asset, language, signed=signed)


def _note(case: Case, text: str, by: User | None = None) -> CaseAction:
    return CaseAction.objects.create(case=case, at=timezone.now(), by=by, text=text)


def _refusal_text(asset: str, code: str, detail: str) -> tuple[str, str]:
    """Return why a halt could not be made, in Japanese and English."""
    if code == "unknown_asset":
        return (
            f"{asset} はカストディの監視に設定されていません"
            "（mamori custody apply-thresholds で監視に加えてください）",
            f"{asset} is not configured in custody monitoring "
            "(add it with mamori custody apply-thresholds)",
        )
    if code == "monitor_error":
        return (
            f"カストディの監視に停止を指示できませんでした: {detail}",
            f"the custody monitor could not be asked: {detail}",
        )
    return (
        f"カストディの監視が停止を拒否しました（{code}: {detail}）",
        f"the custody monitor refused the halt ({code}: {detail})",
    )


def _ask_monitor(order: threshold.HaltOrder) -> tuple[bool, str, str]:
    """Order the halt; return whether the monitor confirmed it, its code and what it said."""
    from mamori.custody.services import monitor

    try:
        with transaction.atomic():  # a failure must not lose the case
            decision = monitor.decide(order)
    except Exception as exc:  # any failure of the monitor: the case says the halt failed
        log.exception("reconciliation: halt order %s failed", order.id)
        return False, "monitor_error", f"{type(exc).__name__}: {exc}"[:500]
    said = "; ".join(r.message for r in decision.reasons)
    if decision.action is threshold.Action.HALT:
        halts = ", ".join(h.id for h in decision.halts)
        return True, "", f"halt {halts}" if halts else "a halt of the asset already in force"
    code = decision.codes[0] if decision.codes else str(decision.action)
    return False, code[:40], said or f"the monitor answered {decision.action}"


def _order_halt(case: Case, outcome: engine.AssetOutcome, run: Run) -> None:
    """Halt the asset's withdrawals when the policy says so; record the halt only when the
    custody monitor confirms it, and otherwise say on the case, and tell the asset's
    responsible people at once, that no halt was made."""
    policy = AssetPolicy.objects.filter(asset__code=outcome.asset).first()
    missing = -(outcome.difference or 0)
    if policy is None or policy.halt_above_units is None or missing < policy.halt_above_units:
        return
    order = threshold.HaltOrder(
        f"reconciliation-run{run.pk}-{outcome.asset}",
        timezone.now(),
        threshold.HaltScope.ASSET,
        outcome.asset,
        "reconciliation",
        f"reconciliation run {run.pk}: {_shown(missing, outcome.asset)} missing "
        f"on chain (limit {_shown(policy.halt_above_units, outcome.asset)})",
    )
    confirmed, code, said = _ask_monitor(order)
    if confirmed:
        case.halt_ordered, case.halt_refused = True, ""
        case.save(update_fields=["halt_ordered", "halt_refused"])
        _note(
            case,
            f"withdrawals of {outcome.asset} halted by the custody monitor ({said}): "
            f"{order.reason}",
        )
        return
    case.halt_refused = code
    case.save(update_fields=["halt_refused"])
    why_ja, why_en = _refusal_text(outcome.asset, code, said)
    _note(
        case,
        f"halt could not be made: {why_en}; withdrawals of {outcome.asset} are NOT halted "
        f"({order.reason}; the monitor answered {code}: {said})",
    )
    notify(
        "reconciliation.halt_refused",
        "critical",
        (
            f"停止できませんでした: {outcome.asset} の出金は停止されていません",
            f"Halt could not be made: {outcome.asset} withdrawals are not halted",
        ),
        (
            f"照合 {run.pk} で {outcome.asset} が {_shown(missing, outcome.asset, 'ja')} 不足し、"
            "方針により出金停止を"
            f"指示しましたが、停止できませんでした: {why_ja}。出金を止める措置を直ちに"
            "とってください（ISM 34-2）。",
            f"Run {run.pk} found {_shown(missing, outcome.asset)} missing and the "
            f"policy called for a halt of its withdrawals, but the halt could not be made: "
            f"{why_en}. Stop the withdrawals by other means at once (ISM 34-2).",
        ),
        _levels(outcome.asset),
        requires_ack=True,
        escalate_after=ESCALATE_AFTER,
        link=f"/reconciliation/cases/{case.pk}/",
    )


def open_for(run: Run, outcome: engine.AssetOutcome) -> Case:
    """Open a case for an asset that differs (or note the run on its open case) and tell
    the responsible person at once."""
    difference = outcome.difference or 0
    wallets = [w for w in outcome.wallets if w.status is engine.Status.DIFFERENCE]
    shown = {lang: _shown(difference, outcome.asset, lang, signed=True) for lang in ("ja", "en")}
    where_in = {
        lang: ", ".join(
            f"{w.wallet} {_shown(w.difference or 0, outcome.asset, lang, signed=True)}"
            for w in wallets
        )
        for lang in ("ja", "en")
    }
    where = where_in["en"]
    with transaction.atomic():
        case = (
            Case.objects.filter(kind=Case.Kind.DIFFERENCE, asset=outcome.asset)
            .exclude(status=Case.Status.CLOSED)
            .first()
        )
        if case is not None:
            _note(case, f"run {run.pk}: the difference is {shown['en']} ({where or 'total'})")
            if not case.halt_ordered:
                _order_halt(case, outcome, run)  # a halt that could not be made is tried again
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
        _note(case, f"opened by run {run.pk}: chain − book − in flight = {shown['en']} {where}")
        from mamori.events.bus import publish  # relayed after commit (the outbox)

        publish(
            "mamori.reconciliation.case_opened",
            {"case": case.pk, "asset": case.asset, "difference": str(int(difference))},
            event_id=f"reconciliation-case-opened-{case.pk}",
        )
        notify(
            "reconciliation.difference",
            "critical",
            (
                f"残高不一致: {shown['ja']}",
                f"Reconciliation difference: {shown['en']}",
            ),
            (
                f"照合 {run.pk} で帳簿とブロックチェーン上の数量に差異があります"
                f"（{where_in['ja'] or shown['ja']}）。"
                "原因を調査し、資産を保全してください（ISM 34-2）。",
                f"Run {run.pk} found the book and the chain differ ({where or shown['en']}). "
                "Find the cause "
                "and protect the assets (ISM 34-2).",
            ),
            _levels(outcome.asset),
            requires_ack=True,
            escalate_after=ESCALATE_AFTER,
            link=f"/reconciliation/cases/{case.pk}/",
        )
        _order_halt(case, outcome, run)
    return case


def _book_levels() -> list[list[Recipient]]:
    """Who is told of a refused book: it stops the reconciliation of every asset, so the
    responsible person of every custody asset and the CISO; then the system general manager
    and the CISO."""
    people = (
        Asset.objects.filter(responsible__isnull=False, responsible__is_active=True)
        .order_by("responsible__username")
        .values_list("responsible__username", flat=True)
        .distinct()
    )
    first = [Recipient(username=name) for name in people] + [Recipient(role="ciso")]
    return [first, [Recipient(role="system_general_manager"), Recipient(role="ciso")]]


def describe_book(book: BookImport) -> str:
    """Name a book as people find it: its number, file (or source) and time of import."""
    return (
        f"book {book.pk} ({book.file_name or book.source}, imported "
        f"{book.imported_at:%Y-%m-%d %H:%M} UTC)"
    )


def _reasons(book: BookImport, shown: int = 5) -> str:
    lines = "; ".join(f"line {e['line']}: {e['reason']}" for e in book.errors[:shown])
    more = book.error_count - min(shown, len(book.errors))
    return lines + (f" and {more} more" if more > 0 else "")


def open_for_refused_book(book: BookImport) -> Case:
    """Open a *book refused* case (or note the refusal on the open one) and tell the
    responsible people at once: until a newer book is accepted, no run reconciles."""
    with transaction.atomic():
        case = (
            Case.objects.filter(kind=Case.Kind.BOOK_REFUSED)
            .exclude(status=Case.Status.CLOSED)
            .first()
        )
        what = f"{describe_book(book)} refused, {book.error_count} bad row(s): {_reasons(book)}"
        if case is not None:
            _note(case, what, book.imported_by)
        else:
            case = Case.objects.create(
                kind=Case.Kind.BOOK_REFUSED,
                book=book,
                difference=0,
                owner=book.imported_by,
                opened_at=timezone.now(),
            )
            _note(case, f"opened: {what}", book.imported_by)
        name = book.file_name or book.source
        notify(
            "reconciliation.book_refused",
            "critical",
            (
                f"帳簿の取込拒否: 帳簿 {book.pk}（{name}）",
                f"Book refused: book {book.pk} ({name})",
            ),
            (
                f"帳簿 {book.pk}（{name}）は {book.error_count} 行の誤りのため取り込まれません"
                f"でした: {_reasons(book)}。新しい正しい帳簿が取り込まれるまで、照合は古い帳簿"
                "で行われません（ISM 34-1）。",
                f"Book {book.pk} ({name}) was refused for {book.error_count} bad row(s): "
                f"{_reasons(book)}. Until a newer good book is imported, no run reconciles "
                "against an older book (ISM 34-1).",
            ),
            _book_levels(),
            requires_ack=True,
            escalate_after=ESCALATE_AFTER,
            link=f"/reconciliation/cases/{case.pk}/",
        )
    return case


def note_book_accepted(book: BookImport) -> None:
    """Note on the open *book refused* case that a newer book was accepted (runs use it)."""
    case = Case.objects.filter(kind=Case.Kind.BOOK_REFUSED).exclude(status=Case.Status.CLOSED)
    for open_case in case:
        _note(
            open_case,
            f"{describe_book(book)} accepted: runs reconcile against it",
            book.imported_by,
        )


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
        raise CaseRefused("closed", _("case %(id)s is closed") % {"id": case.pk}, status=409)
    return case


def assign(case: Case, owner: User, by: User, reason: str) -> Case:
    """Give the case to ``owner``, saying why (kept in the case's log and its History)."""
    reason = reason.strip()
    if not reason:
        raise CaseRefused("reason_required", _("Say why the case changes owner."))
    with transaction.atomic(), because(reason):
        case = _open(case)
        case.owner = owner
        case.save(update_fields=["owner"])
        _note(case, f"owner: {owner.username} ({reason})", by)
    return case


def set_cause(
    case: Case, cause: str, by: User, fix_reference: str = "", incident_reference: str = ""
) -> Case:
    """Record the cause found and the change record or incident it links to."""
    if cause not in Case.Cause.values:
        raise CaseRefused(
            "bad_cause",
            _("unknown cause %(cause)r; one of: %(causes)s")
            % {"cause": cause, "causes": ", ".join(Case.Cause.values)},
        )
    with transaction.atomic():
        case = _open(case)
        if case.status == Case.Status.AWAITING:
            raise CaseRefused(
                "awaiting_approval",
                _("the case waits for approval to close; it cannot change now"),
                status=409,
            )
        case.cause = cause
        case.fix_reference = fix_reference.strip()
        case.incident_reference = incident_reference.strip()
        case.save(update_fields=["cause", "fix_reference", "incident_reference"])
        _note(case, f"cause: {cause} {case.fix_reference} {case.incident_reference}".strip(), by)
    return case


def add_action(case: Case, text: str, by: User) -> CaseAction:
    """Record an action taken on the case."""
    if not text.strip():
        raise CaseRefused("no_description", _("an action needs its description"))
    with transaction.atomic():
        case = _open(case)
        return _note(case, text.strip(), by)


def _snapshot(case: Case) -> dict[str, str]:
    return {
        "case": str(case.pk),
        "kind": case.kind,
        "book": str(case.book_id or ""),
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
            raise CaseRefused(
                "already_requested",
                _("closing this case already waits for approval"),
                status=409,
            )
        if case.cause == Case.Cause.UNKNOWN:
            raise CaseRefused(
                "cause_unknown", _("the cause is still unknown: record the cause before closing")
            )
        if case.cause == Case.Cause.PROGRAM_DEFECT and not case.fix_reference:
            raise CaseRefused(
                "fix_missing",
                _(
                    "a program defect caused this difference: link the change record that "
                    "fixed the program before closing (ISM 34-2)"
                ),
            )
        if not resolution.strip():
            raise CaseRefused("no_resolution", _("say how the case was resolved"))
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
