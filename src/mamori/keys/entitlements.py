"""Key-holder entitlements reconciled with the systems where keys are used (ISM 31-1 to 31-6).

A grant, change or removal of a role in a registered system is requested here, approved
through the shared approvals (kind ``keys.entitlement``, policy ``keys_entitlement``; ISM
31-4), carried out in the system by one person and checked by another — the approver, the
doer and the checker three different people (ISM 31-5), refused otherwise. A grant needs the
person to hold the ``key_holder`` role (ISM 31-1). Each system's actual accounts are imported
(all-or-nothing, every bad row reported) and reconciled with the grants by the pure engine
(:mod:`mamori.engines.keys.entitlements`); a new finding tells the CISO and the system's owner
at once and stays open until resolved with a reason or cleared by a later import.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.accounts.services.holdings import roles_of
from mamori.core.compliance import CheckResult
from mamori.core.errors import Refused
from mamori.engines.keys import entitlement_formats as formats
from mamori.engines.keys import entitlements as engine
from mamori.keys.models import (
    AccountImport,
    EntitlementChange,
    EntitlementFinding,
    EntitlementGrant,
    KeySystem,
    Reconciliation,
)

__all__ = [
    "KEY_HOLDER",
    "KIND",
    "POLICY",
    "EntitlementRefused",
    "apply_approved",
    "check_status",
    "finding_text",
    "import_accounts",
    "lapsed_grants",
    "on_closed",
    "people",
    "reconcile",
    "record_check",
    "record_done",
    "request_change",
    "resolve",
    "row_text",
]

KIND = "keys.entitlement"
POLICY = "keys_entitlement"
KEY_HOLDER = "key_holder"
#: A change carried out must be checked within this time (ISM 31-5).
CHECK_WITHIN = timedelta(days=7)

#: What each finding says, in the active language.
FINDING_TEXT = {
    engine.NOT_REMOVED: gettext_lazy("account still present after the grant was removed"),
    engine.NO_GRANT: gettext_lazy("account with no grant"),
    engine.UNKNOWN_PERSON: gettext_lazy("account whose person is unknown"),
    engine.ROLE_DIFFERS: gettext_lazy("role differs from the grant"),
    engine.NO_ACCOUNT: gettext_lazy("grant with no account in the system"),
}


#: Why a row of an import is bad, in the active language (the adapters' codes).
ROW_TEXT = {
    "not_utf8": gettext_lazy("the file is not UTF-8 (byte %(byte)s)"),
    "missing": gettext_lazy("missing: %(fields)s"),
    "too_long": gettext_lazy("longer than %(max)s characters: %(fields)s"),
    "empty": gettext_lazy("the file is empty"),
    "header": gettext_lazy("the header lacks the column(s) %(columns)s"),
    "columns": gettext_lazy("%(found)s column(s), the header has %(wanted)s"),
    "bad_csv": gettext_lazy("not valid CSV: %(error)s"),
    "repeated": gettext_lazy("the account and role repeat line %(first)s"),
    "bad_json": gettext_lazy("not valid JSON: %(error)s"),
    "not_array": gettext_lazy("the file must be a JSON array of objects"),
    "not_object": gettext_lazy("an entry must be an object"),
    "not_policy": gettext_lazy("a key policy is an object with a Statement array"),
    "no_sid": gettext_lazy("the statement has no Sid to name its role"),
    "no_principal": gettext_lazy("statement %(sid)s: no AWS principal"),
    "wildcard": gettext_lazy("statement %(sid)s: a wildcard principal names nobody"),
    "not_arn": gettext_lazy("statement %(sid)s: %(arn)s is not an IAM or STS ARN"),
    "no_account": gettext_lazy("the file holds no account"),
}


def row_text(error: dict[str, Any]) -> str:
    """Say why a row of an import is bad, in the active language, with its line."""
    template = ROW_TEXT.get(error.get("code", ""))
    try:
        why = str(template) % dict(error.get("params", {})) if template else error["why"]
    except (KeyError, TypeError, ValueError):
        why = error["why"]
    if error.get("line"):
        return _("line %(line)s: %(why)s") % {"line": error["line"], "why": why}
    return str(why)


class EntitlementRefused(Refused):
    """A grant change, import or resolution refused; ``code`` is stable for machines."""


def finding_text(code: str) -> str:
    """Say what a finding code means in the active language."""
    return str(FINDING_TEXT.get(code, code))


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _approvers(change: EntitlementChange) -> set[int]:
    if change.approval_id is None:
        return set() if change.approver_id is None else {change.approver_id}
    return set(
        change.approval.decisions.filter(verdict="approve").values_list(  # type: ignore[union-attr]
            "approver_id", flat=True
        )
    )


def _refuse_role(system: KeySystem, role: str) -> None:
    if role not in system.roles:
        raise EntitlementRefused(
            "unknown_role",
            _("%(role)s is not one of the roles of %(system)s (%(roles)s)")
            % {"role": role, "system": system.name, "roles": ", ".join(system.roles) or "—"},
            fields=[("role", _("unknown"))],
        )


def _refuse_not_key_holder(person: User) -> None:
    if KEY_HOLDER not in roles_of(person):
        raise EntitlementRefused(
            "not_key_holder",
            _(
                "Refused: %(person)s does not hold the key holder role; grant it through the "
                "approvals first (ISM 31-1)."
            )
            % {"person": person.username},
            fields=[("person", _("not a key holder"))],
        )


def _active(system: KeySystem, person: User, role: str) -> EntitlementGrant | None:
    return EntitlementGrant.objects.filter(
        system=system, person=person, role=role, active=True
    ).first()


def request_change(
    system: KeySystem,
    person: User,
    action: str,
    role: str,
    reason: str,
    by: User,
    previous_role: str = "",
) -> EntitlementChange:
    """Ask for a grant, change (``previous_role`` → ``role``) or removal of ``role`` for
    ``person`` in ``system`` and open its approval request (ISM 31-4)."""
    reason = reason.strip()
    if not reason:
        raise EntitlementRefused(
            "reason_missing", _("a reason is needed"), fields=[("reason", _("required"))]
        )
    if action not in EntitlementChange.Action.values:
        raise EntitlementRefused(
            "bad_action", _("the action is unknown"), fields=[("action", _("unknown"))]
        )
    if action == EntitlementChange.Action.REMOVAL:
        if _active(system, person, role) is None:
            raise EntitlementRefused(
                "no_such_grant",
                _("%(person)s holds no role %(role)s in %(system)s")
                % {"person": person.username, "role": role, "system": system.name},
            )
        previous_role = ""
    else:
        _refuse_role(system, role)
        _refuse_not_key_holder(person)
        if _active(system, person, role) is not None:
            raise EntitlementRefused(
                "already_granted",
                _("%(person)s already holds %(role)s in %(system)s")
                % {"person": person.username, "role": role, "system": system.name},
            )
    if action == EntitlementChange.Action.CHANGE:
        if _active(system, person, previous_role) is None:
            raise EntitlementRefused(
                "no_such_grant",
                _("%(person)s holds no role %(role)s in %(system)s")
                % {"person": person.username, "role": previous_role or "—", "system": system.name},
                fields=[("previous_role", _("not held"))],
            )
    elif action == EntitlementChange.Action.GRANT:
        previous_role = ""
    with transaction.atomic():
        change = EntitlementChange.objects.create(
            system=system,
            person=person,
            action=action,
            role=role,
            previous_role=previous_role,
            reason=reason[:300],
            requested_by=by,
            requested_at=timezone.now(),
        )
        snapshot = {
            "change": change.pk,
            "system": system.name,
            "person": person.username,
            "action": action,
            "role": role,
            "previous_role": previous_role,
            "reason": change.reason,
        }
        title = f"{system.name}: {action} {role} — {person.username}"
        change.approval = approvals.submit(KIND, title, snapshot, by)
        change.save(update_fields=["approval"])
    return change


def apply_approved(request: ApprovalRequest) -> None:
    """The approval's action: the change may now be carried out; its approver is recorded
    (ISM 31-5)."""
    change = EntitlementChange.objects.select_for_update().get(pk=request.snapshot["change"])
    last = request.decisions.filter(verdict="approve").order_by("-at", "-pk").first()
    change.status = EntitlementChange.Status.APPROVED
    change.approver_id = last.approver_id if last else None
    change.approved_at = timezone.now()
    change.save(update_fields=["status", "approver", "approved_at"])


def on_closed(request: ApprovalRequest) -> None:
    """A rejected or expired request closes its change."""
    if request.kind != KIND or request.status == ApprovalRequest.Status.APPROVED:
        return
    EntitlementChange.objects.filter(
        pk=request.snapshot.get("change"), status=EntitlementChange.Status.PENDING
    ).update(status=EntitlementChange.Status.REJECTED)


def subject(snapshot: dict[str, Any]) -> str | None:
    """The person the request is about (who may not approve it)."""
    return str(snapshot.get("person") or "") or None


def _refuse_unless(change: EntitlementChange, wanted: str, code: str, message: str) -> None:
    """Refuse (409) acting on ``change`` unless it is in the state ``wanted``; ``message``
    names the state it is in as ``%(status)s``."""
    if change.status != wanted:
        raise EntitlementRefused(
            code, message % {"status": change.get_status_display()}, status=409
        )


def _segregation(message: str) -> EntitlementRefused:
    return EntitlementRefused("segregation", message, status=409)


def record_done(change: EntitlementChange, by: User, note: str = "") -> EntitlementChange:
    """Record that ``by`` carried the approved change out in the system; the grants follow.
    Refused when ``by`` approved it (ISM 31-5: approver and doer are different people)."""
    with transaction.atomic():
        change = EntitlementChange.objects.select_for_update().get(pk=change.pk)
        _refuse_unless(
            change,
            EntitlementChange.Status.APPROVED,
            "not_approved",
            _("only an approved change can be carried out (it is %(status)s)"),
        )
        if by.pk in _approvers(change):
            raise _segregation(
                _(
                    "Refused: %(person)s approved this change and cannot also carry it out; "
                    "the approver, the person who does it and the person who checks it must "
                    "be three different people (ISM 31-5)."
                )
                % {"person": by.username}
            )
        if change.action != EntitlementChange.Action.REMOVAL:
            _refuse_not_key_holder(change.person)
        now = timezone.now()
        ended = [change.role] if change.action == EntitlementChange.Action.REMOVAL else []
        if change.action == EntitlementChange.Action.CHANGE:
            ended = [change.previous_role]
        EntitlementGrant.objects.filter(
            system=change.system, person=change.person, role__in=ended, active=True
        ).update(active=False, removed_at=now)
        if change.action != EntitlementChange.Action.REMOVAL:
            EntitlementGrant.objects.create(
                system=change.system, person=change.person, role=change.role, since=now
            )
        change.status = EntitlementChange.Status.DONE
        change.done_by = by
        change.done_at = now
        change.done_note = note.strip()[:300]
        change.save(update_fields=["status", "done_by", "done_at", "done_note"])
    return change


def record_check(change: EntitlementChange, by: User, ok: bool, note: str) -> EntitlementChange:
    """Record ``by``'s check of the work (ISM 31-5); refused when ``by`` approved the change
    or carried it out."""
    note = note.strip()
    if not note:
        raise EntitlementRefused(
            "note_missing",
            _("say what was checked and what was seen"),
            fields=[("note", _("required"))],
        )
    with transaction.atomic():
        change = EntitlementChange.objects.select_for_update().get(pk=change.pk)
        _refuse_unless(
            change,
            EntitlementChange.Status.DONE,
            "not_done",
            _("only a change carried out can be checked (it is %(status)s)"),
        )
        if by.pk in _approvers(change) or by.pk == change.done_by_id:
            raise _segregation(
                _(
                    "Refused: %(person)s approved or carried out this change and cannot also "
                    "check it; the approver, the person who does it and the person who checks "
                    "it must be three different people (ISM 31-5)."
                )
                % {"person": by.username}
            )
        change.status = (
            EntitlementChange.Status.CHECKED if ok else EntitlementChange.Status.CHECK_FAILED
        )
        change.checked_by = by
        change.checked_at = timezone.now()
        change.check_note = note[:300]
        change.save(update_fields=["status", "checked_by", "checked_at", "check_note"])
    return change


def people() -> dict[str, str]:
    """Every identifier a system may carry for a person (username, e-mail), lower-cased, to
    the username."""
    found: dict[str, str] = {}
    for username, email in User.objects.values_list("username", "email"):
        if email:
            found.setdefault(email.strip().lower(), username)
        found[username.lower()] = username
    return found


def import_accounts(
    system: KeySystem, file_format: str, data: bytes, file_name: str, by: User | None
) -> AccountImport:
    """Import the system's actual accounts from ``data`` and reconcile (ISM 31-3). The import
    is kept either way; a refused one (every bad row with its line and why) keeps no row and
    reconciles nothing — the caller raises :func:`refused` for it."""
    adapter = formats.adapter(file_format)
    if adapter is None:
        raise EntitlementRefused(
            "unknown_format",
            _("the format %(format)s is unknown (known: %(known)s)")
            % {"format": file_format, "known": ", ".join(formats.ADAPTERS)},
            fields=[("file_format", _("unknown"))],
        )
    parsed = adapter.read(data)
    if not parsed.rows and not parsed.errors:
        parsed.errors.append(formats.RowError(0, "the file holds no account", "no_account"))
    now = timezone.now()
    with transaction.atomic():
        made = AccountImport.objects.create(
            system=system,
            by=by,
            at=now,
            file_name=file_name[:200],
            file_format=file_format,
            sha256=hashlib.sha256(data).hexdigest(),
            row_count=0 if parsed.errors else len(parsed.rows),
            status=AccountImport.Status.REFUSED if parsed.errors else AccountImport.Status.ACCEPTED,
            rows=[]
            if parsed.errors
            else [
                {"line": r.line, "account": r.account, "person": r.person, "role": r.role}
                for r in parsed.rows
            ],
            errors=[
                {"line": e.line, "why": e.why, "code": e.code, "params": dict(e.params)}
                for e in parsed.errors
            ],
        )
        if not parsed.errors:
            reconcile(system, made)
    return made


def refused(made: AccountImport) -> EntitlementRefused:
    """The refusal of a refused import, naming every bad row."""
    lines = "; ".join(row_text(e) for e in made.errors)
    return EntitlementRefused(
        "import_refused",
        _("Refused, nothing imported: %(count)s bad row(s): %(rows)s")
        % {"count": len(made.errors), "rows": lines},
        fields=[(f"line {e['line']}", row_text(e)) for e in made.errors],
    )


def _grants(system: KeySystem) -> list[engine.Grant]:
    return [
        engine.Grant(g.person.username, g.role, g.active)
        for g in system.grants.select_related("person")
    ]


def reconcile(system: KeySystem, source: AccountImport) -> Reconciliation:
    """Reconcile ``system``'s grants with the accepted import ``source`` (ISM 31-1): a finding
    still seen stays open, one no longer seen is cleared, a new one is raised and tells the
    CISO and the system's owner at once."""
    accounts = [
        engine.Account(r["account"], r["person"], r["role"], r.get("line", 0)) for r in source.rows
    ]
    found = engine.reconcile(_grants(system), accounts, people())
    now = timezone.now()
    with transaction.atomic():
        run = Reconciliation.objects.create(system=system, source=source, at=now)
        open_now = {f.key: f for f in system.findings.filter(status=EntitlementFinding.Status.OPEN)}
        raised: list[EntitlementFinding] = []
        for finding in found:
            kept = open_now.pop(finding.key, None)
            if kept is not None:
                kept.last_seen = run
                kept.save(update_fields=["last_seen"])
                continue
            raised.append(
                EntitlementFinding.objects.create(
                    system=system,
                    key=finding.key,
                    code=finding.code,
                    account=finding.account,
                    person_ref=finding.person,
                    role=finding.role,
                    expected=list(finding.expected),
                    lesser=finding.lesser,
                    raised_by=run,
                    last_seen=run,
                )
            )
        for gone in open_now.values():
            gone.status = EntitlementFinding.Status.CLEARED
            gone.closed_by = run
            gone.closed_at = now
            gone.save(update_fields=["status", "closed_by", "closed_at"])
        run.found = len(found)
        run.raised = len(raised)
        run.cleared = len(open_now)
        run.save(update_fields=["found", "raised", "cleared"])
        for made in raised:
            _alert(system, made)
    return run


def _said(finding: EntitlementFinding, language: str) -> str:
    with translation.override(language):
        what = finding_text(finding.code)
    who = finding.person_ref or "?"
    account = f" ({finding.account})" if finding.account else ""
    expected = f" ≠ {', '.join(finding.expected)}" if finding.code == engine.ROLE_DIFFERS else ""
    return f"{what}: {who}{account} {finding.role}{expected}"


def _alert(system: KeySystem, finding: EntitlementFinding) -> None:
    from mamori.notifications.services import Recipient, notify

    level = [Recipient(role="ciso"), Recipient(username=system.owner.username)]
    notify(
        "keys.entitlement_finding",
        "warning" if finding.lesser else "critical",
        (
            f"鍵保有者の権限の不一致: {system.name}",
            f"Key-holder entitlement finding: {system.name}",
        ),
        (f"{_said(finding, 'ja')}（ISM 31-1）", f"{_said(finding, 'en')} (ISM 31-1)"),
        [level],
        requires_ack=not finding.lesser,
        link=f"/keys/systems/{system.pk}/",
    )


def resolve(finding: EntitlementFinding, by: User, reason: str) -> EntitlementFinding:
    """Close an open finding with ``by``'s reason (the next import reopens it if the system
    still shows it)."""
    reason = reason.strip()
    if not reason:
        raise EntitlementRefused(
            "reason_missing", _("a reason is needed"), fields=[("reason", _("required"))]
        )
    with transaction.atomic():
        finding = EntitlementFinding.objects.select_for_update().get(pk=finding.pk)
        if finding.status != EntitlementFinding.Status.OPEN:
            raise EntitlementRefused("not_open", _("the finding is no longer open"), status=409)
        finding.status = EntitlementFinding.Status.RESOLVED
        finding.resolved_by = by
        finding.closed_at = timezone.now()
        finding.resolution = reason[:300]
        finding.save(update_fields=["status", "resolved_by", "closed_at", "resolution"])
    return finding


def lapsed_grants() -> list[str]:
    """Return the active grants whose person no longer holds the key holder role (ISM 31-1:
    the authority must be removed completely when the person stops holding keys)."""
    out = []
    for grant in EntitlementGrant.objects.filter(active=True).select_related("system", "person"):
        if KEY_HOLDER not in roles_of(grant.person):
            out.append(f"{grant.system.name}: {grant.person.username} {grant.role}")
    return sorted(out)


def check_status() -> CheckResult:
    """KEY-04 (ISM 31-1, 31-2, 31-4, 31-5): red with any open finding, a system not reconciled
    within its period, a change not checked within :data:`CHECK_WITHIN` (or failing it), or
    an active grant of a person no longer holding the key holder role; green when every
    registered system was reconciled within its period and nothing of that is open; not
    measured when no system is registered or none was ever imported."""
    systems = list(KeySystem.objects.all())
    reconciled: dict[int, Any] = {}
    for system_id, at in Reconciliation.objects.order_by("at").values_list("system_id", "at"):
        reconciled[system_id] = at
    if not systems or not reconciled:
        return CheckResult(
            False,
            "未測定: 鍵保有者のシステムが登録されていないか、実アカウントが取り込まれていない",
            "not measured: no key-holder system is registered or none was imported",
            {"measured": False},
        )
    now = timezone.now()
    late = sorted(
        s.name
        for s in systems
        if s.pk not in reconciled or reconciled[s.pk] < now - timedelta(days=s.period_days)
    )
    open_findings = sorted(
        f"{f.system.name}: {f.code} {f.person_ref}"
        for f in EntitlementFinding.objects.filter(
            status=EntitlementFinding.Status.OPEN
        ).select_related("system")
    )
    unchecked = sorted(
        f"{c.system.name}: {c.action} {c.role} {c.person.username}"
        for c in EntitlementChange.objects.filter(
            Q(status=EntitlementChange.Status.DONE, done_at__lt=now - CHECK_WITHIN)
            | Q(status=EntitlementChange.Status.CHECK_FAILED)
        ).select_related("system", "person")
    )
    lapsed = lapsed_grants()
    evidence = {
        "measured": True,
        "late": late,
        "open": open_findings,
        "unchecked": unchecked,
        "lapsed": lapsed,
        "systems": len(systems),
    }
    if late or open_findings or unchecked or lapsed:
        parts_ja, parts_en = [], []
        if open_findings:
            parts_ja.append(f"未解決の不一致 {len(open_findings)} 件: {', '.join(open_findings)}")
            parts_en.append(f"{len(open_findings)} open finding(s): {', '.join(open_findings)}")
        if late:
            parts_ja.append(f"期間内に照合されていないシステム: {', '.join(late)}")
            parts_en.append(f"not reconciled within its period: {', '.join(late)}")
        if unchecked:
            parts_ja.append(f"確認されていない・確認で不備の変更: {', '.join(unchecked)}")
            parts_en.append(f"changes unchecked or failing their check: {', '.join(unchecked)}")
        if lapsed:
            parts_ja.append(f"鍵保有者でなくなった人の有効な付与: {', '.join(lapsed)}")
            parts_en.append(f"active grants of people no longer key holders: {', '.join(lapsed)}")
        return CheckResult(False, "; ".join(parts_ja), "; ".join(parts_en), evidence)
    return CheckResult(
        True,
        f"登録済みの {len(systems)} システムすべてが期間内に照合され、未解決の不一致なし",
        f"all {len(systems)} registered systems reconciled within their period, no open finding",
        evidence,
    )


def checklist(system: KeySystem) -> dict[str, Any]:
    """What internal audit verifies for one system (ISM 31-3, 31-6): its grants, each change
    with approver, doer and checker, the last reconciliations and every finding with how it
    was closed."""
    return {
        "system": system,
        "grants": list(system.grants.select_related("person")),
        "changes": list(
            system.changes.select_related(
                "person", "requested_by", "approver", "done_by", "checked_by"
            ).order_by("-requested_at")
        ),
        "reconciliations": list(system.reconciliations.select_related("source__by")[:10]),
        "findings": list(
            system.findings.select_related("resolved_by", "raised_by", "closed_by").order_by(
                "-raised_by__at", "code"
            )
        ),
    }


def checklist_rows(system: KeySystem) -> list[list[Any]]:
    """The checklist as rows of a CSV (section, then the section's columns)."""
    data = checklist(system)

    def name(user: User | None) -> str:
        return user.username if user else ""

    def at(value: Any) -> str:
        return value.isoformat(timespec="seconds") if value else ""

    rows: list[list[Any]] = [
        [
            pgettext("key-holder checklist", "Section"),
            _("Person"),
            _("Role"),
            _("Status"),
            _("Detail"),
        ],
    ]
    for grant in data["grants"]:
        state = _("active") if grant.active else _("removed")
        rows.append(
            [
                pgettext("key-holder checklist", "Grant"),
                grant.person.username,
                grant.role,
                state,
                at(grant.since),
            ]
        )
    for change in data["changes"]:
        rows.append(
            [
                pgettext("key-holder checklist", "Change"),
                change.person.username,
                change.role,
                change.get_status_display(),
                " · ".join(
                    [
                        str(change.get_action_display()),
                        _("approved by %(who)s") % {"who": name(change.approver) or "—"},
                        _("carried out by %(who)s") % {"who": name(change.done_by) or "—"},
                        _("checked by %(who)s") % {"who": name(change.checked_by) or "—"},
                        change.check_note,
                    ]
                ),
            ]
        )
    for run in data["reconciliations"]:
        rows.append(
            [
                pgettext("key-holder checklist", "Reconciliation"),
                name(run.source.by),
                "",
                at(run.at),
                _("%(found)s finding(s), %(raised)s new, %(cleared)s cleared; file SHA-256 %(sha)s")
                % {
                    "found": run.found,
                    "raised": run.raised,
                    "cleared": run.cleared,
                    "sha": run.source.sha256,
                },
            ]
        )
    for finding in data["findings"]:
        rows.append(
            [
                pgettext("key-holder checklist", "Finding"),
                finding.person_ref,
                finding.role,
                finding.get_status_display(),
                f"{finding_text(finding.code)} ({finding.account or '—'}) "
                f"{finding.resolution} {name(finding.resolved_by)}".strip(),
            ]
        )
    return rows
