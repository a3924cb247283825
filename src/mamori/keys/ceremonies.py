"""Key ceremonies as recorded workflows (ISM 28-1 generation, 28-2 recovery and rotation,
28-3 backup check).

A ceremony is planned (wallet, sites, window, script, participants and witnesses), approved
by two people other than the one who planned it (the ``key_ceremony`` policy of the shared
approvals), started, conducted step by step — each step checked off by a person with the
time and a note — and completed with its public output verified
(:func:`mamori.keys.ceremony.verify`), or abandoned. Everything typed in is searched for
secrets first (:func:`mamori.keys.services.refuse_secrets`): a seed or private key is refused
before it is stored, logged or parsed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.auditlog.context import because
from mamori.core.errors import Refused
from mamori.keys import ceremony as output_check
from mamori.keys.models import Ceremony, CeremonyPerson, CeremonyStep, Site, Wallet
from mamori.keys.services import refuse_secrets

__all__ = [
    "KIND",
    "POLICY",
    "CeremonyRefused",
    "abandon",
    "apply_approval",
    "check_step",
    "complete",
    "plan",
    "record_output",
    "request_approval",
    "snapshot",
    "start",
]

KIND = "keys.ceremony"
POLICY = "key_ceremony"


class CeremonyRefused(Refused):
    """A ceremony action refused: the state does not allow it, or the input is wrong."""


def _refuse(code: str, message: str, field: str | None = None, status: int = 422) -> None:
    fields = [(field, message)] if field else []
    raise CeremonyRefused(code, message, fields=fields, status=status)


def plan(
    *,
    title: str,
    kind: str,
    wallet: Wallet,
    sites: Iterable[Site],
    starts_at: datetime,
    ends_at: datetime,
    script: str,
    participants: Iterable[tuple[User, str]],
    witnesses: Iterable[User],
    by: User,
) -> Ceremony:
    """Plan a ceremony; refused, with the reason, for a secret in what was typed, an empty
    script, a window that ends before it starts, no site, no participant, or a witness who
    is also a participant."""
    participants = list(participants)
    witnesses = list(witnesses)
    sites = list(sites)
    refuse_secrets({"title": title, "script": script, "parts": [p for _u, p in participants]})
    if kind not in Ceremony.Kind.values:
        _refuse("bad_kind", _("the kind of ceremony is unknown"), "kind")
    if ends_at <= starts_at:
        _refuse("bad_window", _("the window must end after it starts"), "ends_at")
    if not sites:
        _refuse("no_site", _("name at least one site"), "sites")
    if not [line for line in script.splitlines() if line.strip()]:
        _refuse("no_script", _("the script needs at least one step"), "script")
    if not participants:
        _refuse("no_participant", _("name at least one participant"), "participants")
    both = sorted({u.username for u, _p in participants} & {w.username for w in witnesses})
    if both:
        _refuse(
            "witness_participates",
            _("a witness may not be a participant: %(people)s") % {"people": ", ".join(both)},
            "witnesses",
        )
    with transaction.atomic():
        made = Ceremony.objects.create(
            title=title,
            kind=kind,
            wallet=wallet,
            starts_at=starts_at,
            ends_at=ends_at,
            script=script.strip(),
            planned_by=by,
        )
        made.sites.set(sites)
        for person, part in participants:
            CeremonyPerson.objects.create(ceremony=made, person=person, part=part)
        for person in witnesses:
            CeremonyPerson.objects.create(ceremony=made, person=person, witness=True)
        _make_steps(made)
    return made


def _make_steps(ceremony: Ceremony) -> None:
    ceremony.steps.all().delete()
    for number, text in enumerate(ceremony.script_lines(), start=1):
        CeremonyStep.objects.create(ceremony=ceremony, number=number, text=text[:500])


def revise_script(ceremony: Ceremony, script: str, by: User) -> Ceremony:
    """Replace the script of a planned ceremony: a new version, its steps made again; a
    pending approval of the old version can no longer be applied."""
    refuse_secrets({"script": script})
    if ceremony.state != Ceremony.State.PLANNED:
        _refuse("not_planned", _("only a planned ceremony's script can change"), status=409)
    if not [line for line in script.splitlines() if line.strip()]:
        _refuse("no_script", _("the script needs at least one step"), "script")
    with transaction.atomic(), because(f"script revised by {by.username}"):
        ceremony.script = script.strip()
        ceremony.script_version += 1
        ceremony.save(update_fields=["script", "script_version"])
        _make_steps(ceremony)
    return ceremony


def snapshot(ceremony: Ceremony) -> dict[str, Any]:
    """What an approval of ``ceremony`` approves: kind, wallet, sites, window, the script's
    version and text, participants with their parts and the witnesses."""
    people = list(ceremony.people.select_related("person"))
    return {
        "ceremony": ceremony.pk,
        "title": ceremony.title,
        "kind": ceremony.kind,
        "wallet": ceremony.wallet.name,
        "sites": sorted(s.code for s in ceremony.sites.all()),
        "starts_at": ceremony.starts_at.isoformat(),
        "ends_at": ceremony.ends_at.isoformat(),
        "script_version": ceremony.script_version,
        "script": ceremony.script_lines(),
        "participants": [
            {"person": p.person.username, "part": p.part} for p in people if not p.witness
        ],
        "witnesses": [p.person.username for p in people if p.witness],
    }


def request_approval(ceremony: Ceremony, by: User) -> ApprovalRequest:
    """Ask two people (not ``by``) to approve the planned ceremony as it stands now."""
    with transaction.atomic():
        ceremony = Ceremony.objects.select_for_update().get(pk=ceremony.pk)
        if ceremony.state != Ceremony.State.PLANNED:
            _refuse("not_planned", _("only a planned ceremony is approved"), status=409)
        if ceremony.approval is not None and ceremony.approval.status == "pending":
            _refuse("already_requested", _("this ceremony already waits for approval"), status=409)
        request = approvals.submit(
            KIND, f"Key ceremony: {ceremony.title}"[:300], snapshot(ceremony), by
        )
        ceremony.approval = request
        ceremony.save(update_fields=["approval"])
    return request


def apply_approval(request: ApprovalRequest) -> None:
    """Approve exactly the ceremony, script version and people that were asked for."""
    ceremony = Ceremony.objects.select_for_update().get(approval=request)
    if ceremony.state != Ceremony.State.PLANNED:  # abandoned while the request waited
        return
    approvals.verify(request, snapshot(ceremony))
    ceremony.state = Ceremony.State.APPROVED
    ceremony.save(update_fields=["state"])


def _in_state(ceremony: Ceremony, *states: str) -> Ceremony:
    locked = Ceremony.objects.select_for_update().get(pk=ceremony.pk)
    if locked.state not in states:
        _refuse(
            "wrong_state",
            _("the ceremony is %(state)s: this cannot be done now")
            % {"state": locked.get_state_display()},
            status=409,
        )
    return locked


def start(ceremony: Ceremony, by: User) -> Ceremony:
    """Start an approved ceremony (ISM 28-1: conducted only as approved)."""
    with transaction.atomic(), because(f"started by {by.username}"):
        locked = _in_state(ceremony, Ceremony.State.APPROVED)
        locked.state = Ceremony.State.IN_PROGRESS
        locked.started_at = timezone.now()
        locked.save(update_fields=["state", "started_at"])
    return locked


def check_step(ceremony: Ceremony, number: int, by: User, note: str = "") -> CeremonyStep:
    """Check off step ``number`` of a running ceremony, by ``by``, now, with ``note``; the
    steps are done in order and each once."""
    refuse_secrets({"note": note})
    with transaction.atomic():
        locked = _in_state(ceremony, Ceremony.State.IN_PROGRESS)
        step = locked.steps.select_for_update().filter(number=number).first()
        if step is None:
            _refuse("unknown_step", _("the ceremony has no such step"), "step", status=404)
        assert step is not None
        if step.done_at is not None:
            _refuse("step_done", _("this step is already checked off"), status=409)
        earlier = locked.steps.filter(number__lt=number, done_at__isnull=True).first()
        if earlier is not None:
            _refuse(
                "out_of_order",
                _("step %(number)s must be checked off first") % {"number": earlier.number},
                status=409,
            )
        step.done_at = timezone.now()
        step.done_by = by
        step.note = note.strip()[:500]
        step.save(update_fields=["done_at", "done_by", "note"])
    return step


def record_output(
    ceremony: Ceremony, kind: str, public_data: str, addresses: str, by: User
) -> Ceremony:
    """Verify and keep the public output of a running ceremony (xpubs, public keys,
    addresses only): a secret is refused before anything else; the result — which
    registered addresses matched — is kept on the ceremony."""
    refuse_secrets({"public_data": public_data, "addresses": addresses})
    if kind not in Ceremony.OutputKind.values:
        _refuse("bad_output_kind", _("the kind of output is unknown"), "kind")
    if not public_data.strip():
        _refuse("no_output", _("enter the public output"), "public_data")
    with transaction.atomic():
        locked = _in_state(ceremony, Ceremony.State.IN_PROGRESS)
        lines = output_check.verify(locked.wallet, kind, public_data, addresses)
        locked.output_kind = kind
        locked.output_public = public_data.strip()
        locked.output_addresses = addresses.strip()
        locked.output_result = [asdict(line) for line in lines]
        locked.output_matched = bool(lines) and all(line.holds for line in lines)
        locked.output_at = timezone.now()
        locked.output_by = by
        locked.save()
    return locked


def complete(ceremony: Ceremony, by: User, note: str = "") -> Ceremony:
    """Complete a running ceremony: every step checked off; a generation, recovery or
    rotation also needs its public output recorded."""
    refuse_secrets({"note": note})
    with transaction.atomic(), because(note.strip() or f"completed by {by.username}"):
        locked = _in_state(ceremony, Ceremony.State.IN_PROGRESS)
        left = list(locked.steps.filter(done_at__isnull=True).values_list("number", flat=True))
        if left:
            _refuse(
                "steps_left",
                _("steps not checked off yet: %(steps)s")
                % {"steps": ", ".join(str(n) for n in left)},
                status=409,
            )
        if locked.kind != Ceremony.Kind.BACKUP_CHECK and locked.output_at is None:
            _refuse("no_output", _("record the ceremony's public output first"), status=409)
        locked.state = Ceremony.State.COMPLETED
        locked.closed_at = timezone.now()
        locked.closing_note = note.strip()[:500]
        locked.save(update_fields=["state", "closed_at", "closing_note"])
    return locked


def abandon(ceremony: Ceremony, by: User, reason: str) -> Ceremony:
    """Abandon a ceremony not yet closed, saying why."""
    refuse_secrets({"reason": reason})
    if not reason.strip():
        _refuse("reason_required", _("say why the ceremony is abandoned"), "reason")
    with transaction.atomic(), because(reason.strip()):
        locked = _in_state(
            ceremony,
            Ceremony.State.PLANNED,
            Ceremony.State.APPROVED,
            Ceremony.State.IN_PROGRESS,
        )
        locked.state = Ceremony.State.ABANDONED
        locked.closed_at = timezone.now()
        locked.closing_note = reason.strip()[:500]
        locked.save(update_fields=["state", "closed_at", "closing_note"])
    return locked
