"""Leak response (ISM 30): the runbook and the compensation policy as versioned documents
approved through the shared approvals, the runbook's *revision required* flag raised by every
change to the custody systems, and drills with the key holders.

- ISM 30-1: the runbook (text or file, ordered steps with target minutes, wallets covered).
- ISM 30-2: :func:`flag_runbook_revision` — any module changing a custody system calls it; the
  flag clears when a version drafted after the change is approved.
- ISM 30-3: drills scheduled with key holders, recorded with each step's time and findings.
- ISM 30-4: the compensation policy, approved the same way.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mamori.accounts.models import ApprovalRequest, RoleAssignment, User
from mamori.accounts.services import approvals
from mamori.core.errors import Refused
from mamori.keys.models import Drill, ResponseDocument, ResponseVersion, Wallet

__all__ = [
    "DRILL_EVERY_DAYS",
    "FLAG_GRACE_DAYS",
    "KIND",
    "POLICY",
    "REASONS",
    "LeakRefused",
    "apply_approval",
    "approved",
    "document",
    "drill_due_on",
    "file_path",
    "flag_runbook_revision",
    "key_holders",
    "last_drill",
    "on_closed",
    "parse_step_times",
    "parse_steps",
    "reason_shown",
    "record_drill",
    "save_version",
    "schedule_drill",
    "state",
    "submit",
]

KIND = "keys.approve_response_document"
POLICY = "leak_response_document"
#: A runbook flagged for revision longer than this no longer counts as current (ISM 30-2).
FLAG_GRACE_DAYS = 30
#: A drill is due again this many days after the last one held (ISM 30-3).
DRILL_EVERY_DAYS = 365
#: Largest uploaded document accepted, in bytes.
MAX_FILE = 10 * 1024 * 1024
#: Accepted uploads: extension → (content type, how the content starts or None for UTF-8 text).
FILE_TYPES = {
    "pdf": ("application/pdf", b"%PDF-"),
    "md": ("text/markdown", None),
    "txt": ("text/plain", None),
}
KEY_HOLDER = "key_holder"


#: The custody-system changes this module's callers name → what a reader sees (ISM 30-2).
REASONS = {
    "wallet created": gettext_lazy("wallet created"),
    "wallet changed": gettext_lazy("wallet changed"),
    "key added": gettext_lazy("key added"),
    "key moved": gettext_lazy("key moved or re-assigned"),
    "key removed": gettext_lazy("key removed"),
    "backup added": gettext_lazy("backup added"),
    "backup moved": gettext_lazy("backup moved or re-assigned"),
    "site closed": gettext_lazy("site closed"),
    "signing system registered": gettext_lazy("signing system registered"),
}


def reason_shown(reason: str) -> str:
    """Say a revision reason in the active language (a reason not known here as given)."""
    return str(REASONS.get(reason, reason))


class LeakRefused(Refused):
    """A leak-response action refused; ``code`` is stable for machines."""


def document(kind: str) -> ResponseDocument:
    """Return the document of ``kind`` (``runbook`` or ``compensation``), made if missing."""
    found, _created = ResponseDocument.objects.get_or_create(kind=kind)
    return found


def approved(kind: str) -> ResponseVersion | None:
    """Return the approved (current) version of ``kind``, or None."""
    return (
        ResponseVersion.objects.filter(document__kind=kind, status=ResponseVersion.Status.APPROVED)
        .select_related("document")
        .first()
    )


def flag_runbook_revision(reason: str, what: str) -> None:
    """Flag the leak-response runbook *revision required* (ISM 30-2): a custody system changed
    (``reason``, e.g. ``wallet changed``) and ``what`` (e.g. ``btc-hot: 2-of-3 → 3-of-5``).

    Call it from any change to the custody systems: a wallet created or changed, a key added,
    removed or moved, a site closed, a signing system registered. The flag clears when a
    runbook version drafted after the change is approved."""
    now = timezone.now()
    with transaction.atomic():
        runbook = document(ResponseDocument.Kind.RUNBOOK)
        runbook = ResponseDocument.objects.select_for_update().get(pk=runbook.pk)
        entry = {"at": now.isoformat(), "reason": str(reason)[:200], "what": str(what)[:500]}
        runbook.revision_reasons = [*runbook.revision_reasons, entry][-100:]
        if runbook.revision_required_since is None:
            runbook.revision_required_since = now
        runbook.save(update_fields=["revision_reasons", "revision_required_since"])


_STEP = re.compile(r"^\s*(\d{1,5})\s*[|｜]\s*(\S.*?)\s*$")


def parse_steps(text: str) -> list[dict[str, Any]]:
    """Read the runbook's steps, one a line as ``minutes | what to do``, in order; refuse
    naming every bad line."""
    steps, bad = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _STEP.match(line)
        if match is None or int(match.group(1)) == 0:
            bad.append(number)
            continue
        steps.append({"title": match.group(2)[:300], "minutes": int(match.group(1))})
    if bad:
        raise LeakRefused(
            "bad_steps",
            _(
                'line(s) %(lines)s: write each step as "target minutes | what to do", '
                'e.g. "15 | Halt withdrawals from the affected wallets"'
            )
            % {"lines": ", ".join(str(n) for n in bad)},
            fields=[("steps", _("a step per line: minutes | what to do"))],
        )
    return steps


def file_path(sha256: str) -> Path:
    """Return where the uploaded document with ``sha256`` is kept."""
    return Path(settings.CONFIG.data_dir) / "keys-documents" / sha256[:2] / sha256


def _store_file(name: str, data: bytes) -> tuple[str, str]:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in FILE_TYPES:
        raise LeakRefused(
            "file_type",
            _("a document must be a PDF, Markdown or text file (.pdf, .md, .txt)"),
            fields=[("file", _("not an accepted file type"))],
        )
    if len(data) > MAX_FILE:
        raise LeakRefused(
            "file_too_large",
            _("a document may be at most 10 MB"),
            fields=[("file", _("too large"))],
        )
    content_type, magic = FILE_TYPES[extension]
    if magic is not None and not data.startswith(magic):
        raise LeakRefused(
            "content_mismatch",
            _("the content is not a %(type)s file") % {"type": extension.upper()},
            fields=[("file", _("not what its name says"))],
        )
    if magic is None:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise LeakRefused("content_mismatch", _("a text file must be UTF-8")) from None
    digest = hashlib.sha256(data).hexdigest()
    path = file_path(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return digest, content_type


def save_version(
    kind: str,
    by: User,
    *,
    text: str = "",
    file_name: str = "",
    file_data: bytes | None = None,
    steps: list[dict[str, Any]] | None = None,
    wallets: Iterable[Wallet] = (),
) -> ResponseVersion:
    """Draft a new version of the document ``kind``: its text or an uploaded file; for the
    runbook also its ordered steps and the wallets it covers. Refused, saying why, when the
    version says nothing or the runbook has no step or no wallet."""
    from mamori.keys.services import refuse_secrets

    text = text.strip()
    steps = steps or []
    wallets = list(wallets)
    refuse_secrets({"text": text, "steps": [s["title"] for s in steps]})
    problems = []
    if not text and not file_data:
        problems.append(("text", _("write the text or upload a file")))
    if kind == ResponseDocument.Kind.RUNBOOK:
        if not steps:
            problems.append(("steps", _("a runbook needs its steps")))
        if not wallets:
            problems.append(("wallets", _("say which wallets the runbook covers")))
    if problems:
        raise LeakRefused(
            "incomplete",
            _("Refused: %(problems)s") % {"problems": "; ".join(str(p[1]) for p in problems)},
            fields=problems,
        )
    digest = content_type = ""
    if file_data:
        digest, content_type = _store_file(file_name, file_data)
    with transaction.atomic():
        parent = document(kind)
        parent = ResponseDocument.objects.select_for_update().get(pk=parent.pk)
        last = parent.versions.order_by("-number").first()
        version = ResponseVersion.objects.create(
            document=parent,
            number=(last.number + 1) if last else 1,
            text=text[:200_000],
            file_name=file_name[:200] if file_data else "",
            file_sha256=digest,
            file_type=content_type,
            steps=steps if kind == ResponseDocument.Kind.RUNBOOK else [],
            created_by=by,
            created_at=timezone.now(),
        )
        if kind == ResponseDocument.Kind.RUNBOOK:
            version.wallets.set(wallets)
    return version


def _snapshot(version: ResponseVersion) -> dict[str, Any]:
    return {
        "document": version.document.kind,
        "number": version.number,
        "text_sha256": hashlib.sha256(version.text.encode()).hexdigest(),
        "file_sha256": version.file_sha256,
        "steps": version.steps,
        "wallets": sorted(w.name for w in version.wallets.all()),
    }


def submit(version: ResponseVersion, by: User) -> ApprovalRequest:
    """Send a draft for approval (ISM 30-1, 30-4); it becomes current once approved."""
    with transaction.atomic():
        version = ResponseVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != ResponseVersion.Status.DRAFT:
            raise LeakRefused(
                "not_a_draft",
                _("version %(number)s is %(status)s: draft a new version")
                % {"number": version.number, "status": version.get_status_display()},
                status=409,
            )
        request = approvals.submit(
            KIND,
            f"Approve the {version.document.get_kind_display()} v{version.number}",
            _snapshot(version),
            by,
        )
        version.status = ResponseVersion.Status.PENDING
        version.approval = request
        version.save(update_fields=["status", "approval"])
    return request


def apply_approval(request: ApprovalRequest) -> None:
    """Make the approved version current (exactly what was approved), supersede the previous
    one and, for the runbook, clear the revision flag of the changes made before the version
    was drafted (ISM 30-2); later changes keep it flagged."""
    version = (
        ResponseVersion.objects.select_for_update().select_related("document").get(approval=request)
    )
    approvals.verify(request, _snapshot(version))
    now = timezone.now()
    ResponseVersion.objects.filter(
        document=version.document, status=ResponseVersion.Status.APPROVED
    ).update(status=ResponseVersion.Status.SUPERSEDED)
    version.status = ResponseVersion.Status.APPROVED
    version.approved_at = now
    version.save(update_fields=["status", "approved_at"])
    parent = ResponseDocument.objects.select_for_update().get(pk=version.document_id)
    if parent.kind == ResponseDocument.Kind.RUNBOOK and parent.revision_required_since:
        drafted = version.created_at
        left = [r for r in parent.revision_reasons if datetime.fromisoformat(r["at"]) > drafted]
        parent.revision_reasons = left
        parent.revision_required_since = (
            min(datetime.fromisoformat(r["at"]) for r in left) if left else None
        )
        parent.save(update_fields=["revision_reasons", "revision_required_since"])


def on_closed(request: ApprovalRequest) -> None:
    """Return a rejected or expired request's version to *rejected*."""
    if request.kind != KIND or request.status == ApprovalRequest.Status.APPROVED:
        return
    ResponseVersion.objects.filter(approval=request, status=ResponseVersion.Status.PENDING).update(
        status=ResponseVersion.Status.REJECTED
    )


def key_holders() -> list[User]:
    """The people holding the key-holder role now (ISM 31), by username."""
    ids = RoleAssignment.objects.filter(role__code=KEY_HOLDER, revoked_at__isnull=True).values_list(
        "user_id", flat=True
    )
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("username"))


def _refuse_others(people: Iterable[User], field: str) -> None:
    """Refuse, naming them, the people not holding the key-holder role (ISM 30-3)."""
    holding = {u.pk for u in key_holders()}
    others = sorted(p.username for p in people if p.pk not in holding)
    if others:
        raise LeakRefused(
            "not_key_holders",
            _("Refused: %(people)s do not hold the key-holder role")
            % {"people": ", ".join(others)},
            fields=[(field, _("key holders only"))],
        )


def schedule_drill(on: date, scenario: str, participants: Iterable[User], by: User) -> Drill:
    """Schedule a drill on the current approved runbook with key holders (ISM 30-3); refused
    with no approved runbook, no participant, or a participant not holding the key-holder
    role (named)."""
    people = list(participants)
    runbook = approved(ResponseDocument.Kind.RUNBOOK)
    if runbook is None:
        raise LeakRefused("no_runbook", _("Refused: a drill needs an approved runbook to rehearse"))
    if not people:
        raise LeakRefused(
            "no_participants",
            _("Refused: invite at least one key holder"),
            fields=[("participants", _("required"))],
        )
    _refuse_others(people, "participants")
    with transaction.atomic():
        drill = Drill.objects.create(
            scheduled_for=on, scenario=scenario.strip(), runbook=runbook, scheduled_by=by
        )
        drill.participants.set(people)
    return drill


def parse_step_times(drill: Drill, text: str) -> list[dict[str, Any]]:
    """Read the minutes each runbook step took, one number a line in the runbook's order
    (``-`` for a step not executed); refused unless there is one line per step."""
    steps = drill.runbook.steps if drill.runbook else []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != len(steps):
        raise LeakRefused(
            "step_count",
            _("the runbook has %(steps)s steps: give one time per step (got %(lines)s)")
            % {"steps": len(steps), "lines": len(lines)},
            fields=[("step_times", _("one line per step"))],
        )
    out, bad = [], []
    for number, (step, line) in enumerate(zip(steps, lines, strict=True), start=1):
        if line == "-":
            minutes = None
        elif line.isdigit():
            minutes = int(line)
        else:
            bad.append(number)
            continue
        out.append({"title": step["title"], "target": step["minutes"], "minutes": minutes})
    if bad:
        raise LeakRefused(
            "bad_step_times",
            _('step(s) %(steps)s: give whole minutes, or "-" for a step not executed')
            % {"steps": ", ".join(str(n) for n in bad)},
            fields=[("step_times", _("whole minutes"))],
        )
    return out


def record_drill(
    drill: Drill, held_on: date, took_part: Iterable[User], step_times: str, findings: str
) -> Drill:
    """Record a drill held (ISM 30-3): who took part (key holders), each step's minutes
    against its target, the findings. Refused, changing nothing, when incomplete."""
    people = list(took_part)
    if drill.status == Drill.Status.COMPLETED:
        raise LeakRefused("recorded", _("this drill is already recorded"), status=409)
    if held_on > timezone.localdate():
        raise LeakRefused(
            "future", _("a drill cannot be recorded before it is held"), fields=[("held_on", "")]
        )
    if not people:
        raise LeakRefused(
            "no_participants",
            _("Refused: say who took part"),
            fields=[("took_part", _("required"))],
        )
    _refuse_others(people, "took_part")
    times = parse_step_times(drill, step_times)
    with transaction.atomic():
        drill = Drill.objects.select_for_update().get(pk=drill.pk)
        drill.status = Drill.Status.COMPLETED
        drill.held_on = held_on
        drill.step_times = times
        drill.findings = findings.strip()
        drill.save(update_fields=["status", "held_on", "step_times", "findings"])
        drill.took_part.set(people)
    return drill


def last_drill() -> Drill | None:
    """The last drill held."""
    return (
        Drill.objects.filter(status=Drill.Status.COMPLETED, held_on__isnull=False)
        .order_by("-held_on", "-pk")
        .first()
    )


def drill_due_on() -> date:
    """The day the next drill is due: a year after the last one held, today if none was."""
    last = last_drill()
    if last is None or last.held_on is None:
        return timezone.localdate()
    return last.held_on + timedelta(days=DRILL_EVERY_DAYS)


@dataclass(frozen=True)
class State:
    """Where leak response stands (ISM 30): each part's problem in both languages, empty when
    it holds; ``measured`` False when nothing exists yet."""

    measured: bool
    problems: list[tuple[str, str, str]]


def state(today: date | None = None) -> State:
    """Measure ISM 30: an approved runbook not flagged for revision longer than
    :data:`FLAG_GRACE_DAYS` (30-1, 30-2), a drill held within :data:`DRILL_EVERY_DAYS` (30-3),
    an approved compensation policy (30-4)."""
    today = today or timezone.localdate()
    runbook = approved(ResponseDocument.Kind.RUNBOOK)
    compensation = approved(ResponseDocument.Kind.COMPENSATION)
    last = last_drill()
    if runbook is None and compensation is None and last is None:
        return State(False, [])
    problems = []
    if runbook is None:
        problems.append(("runbook", "承認済みの漏えい時対応手順がない", "no approved runbook"))
    else:
        flagged = runbook.document.revision_required_since
        if flagged and (today - timezone.localdate(flagged)).days > FLAG_GRACE_DAYS:
            said = {}
            for language in ("ja", "en"):
                with translation.override(language):
                    said[language] = "; ".join(
                        f"{reason_shown(r['reason'])}: {r['what']}"
                        for r in runbook.document.revision_reasons
                    )
            problems.append(
                (
                    "revision",
                    f"手順書 v{runbook.number} は {timezone.localdate(flagged)} から改訂待ち"
                    f"（{FLAG_GRACE_DAYS}日超）: {said['ja']}",
                    f"runbook v{runbook.number} awaits revision since "
                    f"{timezone.localdate(flagged)} (over {FLAG_GRACE_DAYS} days): {said['en']}",
                )
            )
    if last is None or last.held_on is None:
        problems.append(("drill", "鍵保管者の訓練が実施されていない", "no drill held"))
    elif (today - last.held_on).days > DRILL_EVERY_DAYS:
        problems.append(
            (
                "drill",
                f"最後の訓練は {last.held_on}（12か月超）",
                f"the last drill was held on {last.held_on} (over 12 months ago)",
            )
        )
    if compensation is None:
        problems.append(
            ("compensation", "承認済みの損害賠償方針がない", "no approved compensation policy")
        )
    return State(True, problems)
