"""Run controls' checks, review controls, and say whether each control holds now."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import User
from mamori.core.compliance import CheckResult, get_check
from mamori.core.errors import Refused
from mamori.engines.rulebook.status import ControlState
from mamori.rulebook.models import Control, ControlReview, ControlRun, Evidence

__all__ = [
    "Attention",
    "ControlRefused",
    "attention_list",
    "document_states",
    "latest_runs",
    "remind_owners",
    "review_control",
    "run_control",
    "run_due",
    "states",
]

log = logging.getLogger("mamori.rulebook")
#: Evidence expiring within this many days is listed as expiring.
EXPIRY_WARNING_DAYS = 30


class ControlRefused(Refused, ValueError):
    """A control cannot be run as asked (a ``ValueError`` too: the page catches it)."""


def run_control(control: Control, triggered_by: str = "") -> ControlRun:
    """Run ``control``'s check now and keep the result as evidence (an error is a result)."""
    if control.kind == Control.Kind.DOCUMENT:
        raise ControlRefused(
            "document_control",
            _("%(control)s is a document control: upload evidence instead")
            % {"control": control.code},
            status=409,
        )
    started = timezone.now()
    try:
        result = get_check(control.check_code).run(**control.check_params)
    except Exception as exc:  # a broken check is a failed control, never a silent pass
        log.exception("check %s of control %s failed", control.check_code, control.code)
        result = CheckResult(
            False,
            f"チェックの実行エラー: {type(exc).__name__}: {exc}",
            f"the check raised {type(exc).__name__}: {exc}",
            {"error": type(exc).__name__},
        )
        outcome = ControlRun.Outcome.ERROR
    else:
        outcome = ControlRun.Outcome.PASS if result.passed else ControlRun.Outcome.FAIL
    with transaction.atomic():
        return ControlRun.objects.create(
            control=control,
            started_at=started,
            finished_at=timezone.now(),
            outcome=outcome,
            summary_ja=result.summary_ja,
            summary_en=result.summary_en,
            evidence=result.evidence,
            triggered_by=triggered_by[:200],
        )


def latest_runs() -> dict[int, ControlRun]:
    """Return each control's newest run, read in one query (not the whole run history)."""
    newest = (
        ControlRun.objects.filter(control=OuterRef("pk"))
        .order_by("-started_at", "-pk")
        .values("pk")[:1]
    )
    ids = Control.objects.annotate(newest=Subquery(newest)).values_list("newest", flat=True)
    return {
        run.control_id: run
        for run in ControlRun.objects.filter(pk__in=[i for i in ids if i is not None])
    }


def run_due(now: datetime | None = None) -> list[ControlRun]:
    """Run every control with a check whose last run is older than half its period."""
    now = now or timezone.now()
    latest = latest_runs()
    done = []
    for control in Control.objects.exclude(kind=Control.Kind.DOCUMENT).order_by("code"):
        last = latest.get(control.pk)
        period = timedelta(hours=control.run_every_hours or 24)
        if last is None or last.started_at <= now - period / 2:
            done.append(run_control(control, "scheduler"))
    return done


def review_control(control: Control, reviewer: User, note: str) -> ControlReview:
    """Record the owner's periodic review of ``control``."""
    now = timezone.now()
    with transaction.atomic():
        review = ControlReview.objects.create(
            control=control, reviewer=reviewer, reviewed_at=now, note=note[:4000]
        )
        Control.objects.filter(pk=control.pk).update(last_reviewed_at=now)
    return review


def _evidence_by_control() -> dict[int, list[Evidence]]:
    """Return each control's evidence, newest validity first (pending and rejected too)."""
    out: dict[int, list[Evidence]] = {}
    for item in Evidence.objects.order_by("-valid_until", "-pk"):
        out.setdefault(item.control_id, []).append(item)
    return out


def _document_state(code: str, evidence: list[Evidence], today: date) -> ControlState:
    """Return whether reviewed evidence holds: accepted by the owner and still current."""
    accepted = [e for e in evidence if e.review == Evidence.Review.ACCEPTED]
    if not accepted:
        if any(e.review == Evidence.Review.PENDING for e in evidence):
            return ControlState(
                code,
                False,
                f"{code}: 証跡が責任者の確認待ち",
                f"{code}: evidence awaits its owner's review",
                kind="document",
            )
        return ControlState(
            code,
            False,
            f"{code}: 確認済みの証跡がない",
            f"{code}: no reviewed evidence",
            kind="document",
        )
    newest = accepted[0]
    if newest.valid_until < today:
        return ControlState(
            code,
            False,
            f"{code}: 見直し期限切れ（証跡は {newest.valid_until} まで）",
            f"{code}: review due (evidence valid until {newest.valid_until})",
            kind="document",
        )
    return ControlState(code, True, kind="document")


def document_states(now: datetime | None = None) -> dict[tuple[int, int], ControlState]:
    """Return, for each document control and each requirement it serves, whether reviewed
    evidence shows that requirement now: accepted, current, and confirmed by the reviewer
    for that requirement (one file does not silently satisfy a whole article)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    evidence = _evidence_by_control()
    confirmed: dict[int, set[int]] = {}
    for evidence_id, requirement_id in Evidence.confirmed.through.objects.values_list(
        "evidence_id", "requirement_id"
    ):
        confirmed.setdefault(evidence_id, set()).add(requirement_id)
    codes = dict(Control.objects.filter(kind=Control.Kind.DOCUMENT).values_list("pk", "code"))
    out: dict[tuple[int, int], ControlState] = {}
    links = Control.requirements.through.objects.filter(control_id__in=codes)
    for control_id, requirement_id in links.values_list("control_id", "requirement_id"):
        code = codes[control_id]
        mine = evidence.get(control_id, [])
        showing = [e for e in mine if requirement_id in confirmed.get(e.pk, set())]
        if not mine:
            state = ControlState(
                code,
                False,
                f"{code}: 証跡が未登録",
                f"{code}: no evidence uploaded",
                kind="document",
            )
        elif not any(e.review == Evidence.Review.ACCEPTED for e in mine):
            state = _document_state(code, mine, today)
        elif showing:
            state = _document_state(code, showing, today)
        else:
            state = ControlState(
                code,
                False,
                f"{code}: この要件を示すと確認された証跡がない",
                f"{code}: no reviewed evidence was confirmed to show this requirement",
                kind="document",
            )
        out[(control_id, requirement_id)] = state
    return out


def states(now: datetime | None = None) -> dict[int, ControlState]:
    """Return whether each control holds now, with the reason when it does not."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    latest = latest_runs()
    evidence = _evidence_by_control()
    out: dict[int, ControlState] = {}
    for control in Control.objects.all():
        state = _state(control, latest.get(control.pk), evidence.get(control.pk, []), now, today)
        out[control.pk] = replace(state, kind=control.kind)
    return out


def _state(
    control: Control,
    run: ControlRun | None,
    evidence: list[Evidence],
    now: datetime,
    today: date,
) -> ControlState:
    code = control.code
    if control.kind == Control.Kind.DOCUMENT:
        if not evidence:
            return ControlState(
                code, False, f"{code}: 証跡が未登録", f"{code}: no evidence uploaded"
            )
        return _document_state(code, evidence, today)
    if run is None:
        return ControlState(code, False, f"{code}: 未実行", f"{code}: never ran")
    period = timedelta(hours=control.run_every_hours or 24)
    if run.started_at < now - period:
        return ControlState(
            code,
            False,
            f"{code}: 最終実行が古い（{timezone.localtime(run.started_at):%Y-%m-%d %H:%M}）",
            f"{code}: last run is late ({timezone.localtime(run.started_at):%Y-%m-%d %H:%M})",
        )
    if run.outcome != ControlRun.Outcome.PASS:
        return ControlState(code, False, f"{code}: {run.summary_ja}", f"{code}: {run.summary_en}")
    return ControlState(code, True)


@dataclass(frozen=True)
class Attention:
    """Something overdue or about to expire, for the dashboard's list."""

    control: Control
    #: review_overdue | evidence_expiring | evidence_expired | evidence_missing |
    #: evidence_pending | run_late
    what: str
    due: date | None


def attention_list(now: datetime | None = None) -> list[Attention]:
    """Return what is overdue or expiring soon, most urgent first."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    latest = latest_runs()
    evidence = _evidence_by_control()
    items: list[Attention] = []
    for control in Control.objects.select_related("owner_role").order_by("code"):
        reviewed = control.last_reviewed_at
        due = timezone.localdate(reviewed) if reviewed else None
        if due is None or due + timedelta(days=control.review_days) < today:
            items.append(
                Attention(
                    control,
                    "review_overdue",
                    due + timedelta(days=control.review_days) if due else None,
                )
            )
        if control.kind == Control.Kind.DOCUMENT:
            every = evidence.get(control.pk, [])
            if any(e.review == Evidence.Review.PENDING for e in every):
                items.append(Attention(control, "evidence_pending", None))
            docs = [e for e in every if e.review == Evidence.Review.ACCEPTED]
            if not docs:
                items.append(Attention(control, "evidence_missing", None))
            elif docs[0].valid_until < today:
                items.append(Attention(control, "evidence_expired", docs[0].valid_until))
            elif docs[0].valid_until <= today + timedelta(days=EXPIRY_WARNING_DAYS):
                items.append(Attention(control, "evidence_expiring", docs[0].valid_until))
        else:
            run = latest.get(control.pk)
            period = timedelta(hours=control.run_every_hours or 24)
            if run is None or run.started_at < now - period:
                items.append(
                    Attention(
                        control,
                        "run_late",
                        timezone.localdate(run.started_at + period) if run else None,
                    )
                )
    order = {
        "evidence_expired": 0,
        "run_late": 1,
        "evidence_missing": 2,
        "evidence_pending": 3,
        "evidence_expiring": 4,
        "review_overdue": 5,
    }
    return sorted(items, key=lambda a: (order[a.what], a.due or date.min, a.control.code))


_WHAT = {
    "review_overdue": ("見直し期限切れ", "review overdue"),
    "evidence_expiring": ("証跡の期限間近", "evidence expiring"),
    "evidence_expired": ("証跡の期限切れ", "evidence expired"),
    "evidence_missing": ("証跡未登録", "no evidence yet"),
    "evidence_pending": ("証跡の確認待ち", "evidence awaiting review"),
    "run_late": ("実行遅延", "run late"),
}


def remind_owners(now: datetime | None = None) -> int:
    """Tell each owning role, once, which of its controls are overdue or expiring."""
    from mamori.notifications.services import Recipient, notify

    by_role: dict[str, list[Attention]] = {}
    for item in attention_list(now):
        by_role.setdefault(item.control.owner_role.code, []).append(item)
    for role, items in sorted(by_role.items()):
        lines = [
            (f"{a.control.code}: {_WHAT[a.what][0]}", f"{a.control.code}: {_WHAT[a.what][1]}")
            for a in items
        ]
        severity = "warning" if any(a.what != "evidence_expiring" for a in items) else "info"
        notify(
            "rulebook.attention",
            severity,
            (
                f"対応が必要な統制 {len(items)} 件",
                f"{len(items)} control(s) need attention",
            ),
            ("\n".join(ja for ja, _ in lines), "\n".join(en for _, en in lines)),
            [[Recipient(role)]],
            link="/rulebook/#attention",
        )
    return len(by_role)
