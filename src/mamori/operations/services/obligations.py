"""Reporting obligations of incidents: made from the rules, re-evaluated, escalated before they
are due, marked sent or waived (SRM 6-1-3, 7-3; ISM 8-1-3, 9-3; APPI art. 26).

:func:`evaluate` is idempotent: it gives an incident one obligation per rule that applies to it
(kind, severity, personal data, unauthorised access), recomputes the due time of the open ones
and withdraws an open one whose rule no longer applies. It runs after an incident is saved, on
``mamori.operations.incident_reported`` and from the catch-up job. :func:`escalate` notifies at
each point of the window once (the points done are kept on the obligation, so a restart does
not repeat them). Every change is an entry on the incident's timeline. Drills follow the same
clocks; their notifications say they are drills.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from mamori.accounts.models import User
from mamori.core.errors import Refused
from mamori.engines.incidents import SEVERITIES, clocks
from mamori.operations.models import Incident, Obligation, ObligationRule
from mamori.operations.services.incidents import add_entry

__all__ = [
    "ObligationRefused",
    "applies",
    "catch_up",
    "due_rule",
    "escalate",
    "evaluate",
    "mark_sent",
    "open_obligations",
    "save_draft",
    "seconds_left",
    "waive",
]

_SECURITY_KINDS = {"cyber_attack", "information_leak", "crypto_asset_leak"}


class ObligationRefused(Refused):
    """A change to a reporting obligation refused (no sender, no reason, already closed)."""


def due_rule(rule: ObligationRule) -> clocks.DueRule:
    """Return the engine's form of ``rule``'s due rule."""
    return clocks.DueRule(rule.due_unit, rule.due_amount, rule.roll_to_business_day)


def applies(rule: ObligationRule, incident: Incident) -> bool:
    """Say whether ``rule`` asks for a report of ``incident``."""
    if not rule.active:
        return False
    if rule.kinds and incident.kind not in rule.kinds:
        return False
    if SEVERITIES.index(incident.severity) > SEVERITIES.index(rule.min_severity):
        return False
    if rule.personal_data_required and not incident.personal_data:
        return False
    access = rule.unauthorised_access
    return not (
        (access == ObligationRule.Access.YES and not incident.unauthorised_access)
        or (access == ObligationRule.Access.NO and incident.unauthorised_access)
    )


def _data(obligation: Obligation, **more: Any) -> dict[str, Any]:
    return {
        "obligation": obligation.pk,
        "recipient": obligation.recipient,
        "stage": obligation.stage,
        "due_at": obligation.due_at.isoformat(),
        **more,
    }


def evaluate(incident: Incident, by: User | None = None) -> dict[str, int]:
    """Bring ``incident``'s obligations in line with the rules; return what changed."""
    counts = {"created": 0, "rescheduled": 0, "withdrawn": 0, "restored": 0}
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        existing = {
            o.rule_id: o for o in Obligation.objects.filter(incident=incident).select_for_update()
        }
        for rule in ObligationRule.objects.all():
            found = existing.get(rule.pk)
            if not applies(rule, incident):
                if found is not None and found.status == Obligation.Status.DUE:
                    found.status = Obligation.Status.WITHDRAWN
                    found.save(update_fields=["status"])
                    add_entry(
                        incident,
                        "obligation_withdrawn",
                        gettext("No longer required: %(name)s") % {"name": found.name},
                        by,
                        _data(found),
                    )
                    counts["withdrawn"] += 1
                continue
            due = clocks.due_at(incident.detected_at, due_rule(rule))
            if found is None:
                made = Obligation.objects.create(
                    incident=incident,
                    rule=rule,
                    name=rule.name,
                    recipient=rule.recipient,
                    stage=rule.stage,
                    due_at=due,
                )
                add_entry(
                    incident,
                    "obligation",
                    gettext("Report due by %(due)s: %(name)s")
                    % {"due": _shown(due), "name": made.name},
                    by,
                    _data(made, drill=incident.drill),
                )
                counts["created"] += 1
            elif found.status == Obligation.Status.WITHDRAWN:
                found.status = Obligation.Status.DUE
                found.due_at = due
                found.save(update_fields=["status", "due_at"])
                add_entry(
                    incident,
                    "obligation",
                    gettext("Required again, due by %(due)s: %(name)s")
                    % {"due": _shown(due), "name": found.name},
                    by,
                    _data(found),
                )
                counts["restored"] += 1
            elif found.status == Obligation.Status.DUE and found.due_at != due:
                before = found.due_at
                found.due_at = due
                found.save(update_fields=["due_at"])
                add_entry(
                    incident,
                    "obligation_due",
                    gettext("Now due by %(due)s: %(name)s")
                    % {"due": _shown(due), "name": found.name},
                    by,
                    _data(found, before=before.isoformat()),
                )
                counts["rescheduled"] += 1
    return counts


def _shown(at: datetime) -> str:
    return timezone.localtime(at, clocks.TOKYO).strftime("%Y-%m-%d %H:%M JST")


def open_obligations() -> Any:
    """Return the obligations still to be sent, soonest due first."""
    return (
        Obligation.objects.filter(status=Obligation.Status.DUE)
        .select_related("incident", "incident__commander")
        .order_by("due_at", "pk")
    )


def seconds_left(obligation: Obligation, now: datetime | None = None) -> int:
    """Return the seconds until ``obligation`` is due (negative once overdue)."""
    return int((obligation.due_at - (now or timezone.now())).total_seconds())


def _locked_open(obligation: Obligation) -> Obligation:
    locked = (
        Obligation.objects.select_for_update(of=("self",))
        .select_related("incident")
        .get(pk=obligation.pk)
    )
    if locked.status != Obligation.Status.DUE:
        raise ObligationRefused(
            "obligation_closed",
            gettext("This report is already %(status)s.") % {"status": locked.get_status_display()},
            status=409,
        )
    return locked


def mark_sent(
    obligation: Obligation,
    sent_by: User | None,
    sent_at: datetime | None,
    by: User | None,
    channel: str = "",
    reference: str = "",
) -> Obligation:
    """Record that the report was sent, by whom and when (SRM 6-1-3: contact with the
    authorities recorded). Refused without the sender (``sender_required``) or the time
    (``sent_at_required``), with a time in the future or before detection."""
    if sent_by is None:
        raise ObligationRefused(
            "sender_required",
            gettext("Say who sent the report: it cannot be marked sent without its sender."),
            fields=[("sent_by", gettext("This field is required."))],
        )
    if sent_at is None:
        raise ObligationRefused(
            "sent_at_required",
            gettext("Say when the report was sent."),
            fields=[("sent_at", gettext("This field is required."))],
        )
    if timezone.is_naive(sent_at):  # a time without its offset is the exchange's local time
        sent_at = timezone.make_aware(sent_at)
    if sent_at > timezone.now():
        raise ObligationRefused(
            "sent_in_future",
            gettext("The time sent %(at)s is in the future.") % {"at": _shown(sent_at)},
            fields=[("sent_at", gettext("In the future."))],
        )
    with transaction.atomic():
        locked = _locked_open(obligation)
        if sent_at < locked.incident.detected_at:
            raise ObligationRefused(
                "sent_before_detection",
                gettext("The time sent %(at)s is before the incident was detected.")
                % {"at": _shown(sent_at)},
                fields=[("sent_at", gettext("Before detection."))],
            )
        locked.status = Obligation.Status.SENT
        locked.sent_by = sent_by
        locked.sent_at = sent_at
        locked.channel = channel.strip()[:100]
        locked.submission_reference = reference.strip()[:200]
        locked.save()
        late = sent_at > locked.due_at
        add_entry(
            locked.incident,
            "obligation_sent",
            gettext("Sent %(at)s by %(name)s: %(report)s")
            % {"at": _shown(sent_at), "name": sent_by.get_username(), "report": locked.name}
            + (gettext(" (late)") if late else ""),
            by,
            _data(
                locked,
                sent_at=sent_at.isoformat(),
                sent_by=sent_by.get_username(),
                channel=locked.channel,
                reference=locked.submission_reference,
                late=late,
            ),
        )
    return locked


def waive(obligation: Obligation, reason: str, by: User) -> Obligation:
    """Waive a report with a reason (``reason_required`` without one)."""
    reason = (reason or "").strip()
    if not reason:
        raise ObligationRefused(
            "reason_required",
            gettext("Say why the report is not needed."),
            fields=[("reason", gettext("This field is required."))],
        )
    with transaction.atomic():
        locked = _locked_open(obligation)
        locked.status = Obligation.Status.WAIVED
        locked.waived_reason = reason[:2000]
        locked.waived_by = by
        locked.save()
        add_entry(
            locked.incident,
            "obligation_waived",
            gettext("Waived: %(report)s — %(reason)s") % {"report": locked.name, "reason": reason},
            by,
            _data(locked, reason=reason),
        )
    return locked


def save_draft(obligation: Obligation, text: str, by: User) -> Obligation:
    """Keep the edited text of the report before it is sent."""
    with transaction.atomic():
        locked = _locked_open(obligation)
        locked.draft = text
        locked.save(update_fields=["draft"])
        add_entry(
            locked.incident,
            "obligation_draft",
            gettext("Report text edited: %(report)s") % {"report": locked.name},
            by,
            _data(locked),
        )
    return locked


def _levels(incident: Incident, wide: bool) -> list[list[Any]]:
    from mamori.notifications.services import Recipient

    level: list[Any] = []
    if incident.commander is not None:
        level.append(Recipient(username=incident.commander.get_username()))
    if wide or incident.commander is None:
        security = incident.kind in _SECURITY_KINDS
        level.append(Recipient(role="ciso" if security and not wide else "system_general_manager"))
        if wide:
            level.append(Recipient(role="ciso"))
    return [level]


_TITLES = {
    "half": ("報告期限の半分が経過: %(name)s（%(ref)s）", "Half the time to report has passed"),
    "eighty": ("報告期限が迫っています: %(name)s（%(ref)s）", "A report is nearly due"),
    "hour": ("報告期限まで1時間: %(name)s（%(ref)s）", "A report is due within the hour"),
    "overdue": ("報告期限超過: %(name)s（%(ref)s）", "A report is overdue"),
}


def _link(incident: Incident) -> str:
    """Return the incident's reports page."""
    from django.urls import reverse

    return reverse("operations_obligations:incident", args=[incident.pk])


def _notify(obligation: Obligation, threshold: str) -> None:

    from mamori.notifications.services import notify

    incident = obligation.incident
    drill = "[訓練] " if incident.drill else ""
    drill_en = "[DRILL] " if incident.drill else ""
    ja, en = _TITLES[threshold]
    names = {"name": obligation.name, "ref": incident.reference}
    notify(
        f"operations.obligation.{obligation.pk}.{threshold}",
        "critical" if threshold == "overdue" else "warning",
        (
            drill + ja % names,
            f"{drill_en}{en}: {obligation.name} ({incident.reference})",
        ),
        (
            f"期限 {_shown(obligation.due_at)}",
            f"due {_shown(obligation.due_at)}",
        ),
        levels=_levels(incident, wide=threshold != "half"),
        link=_link(incident),
    )


def escalate(now: datetime | None = None) -> dict[str, int]:
    """Notify for every open obligation each escalation point it passed and was not yet
    notified of: the commander at half the window; the commander, the system general manager
    and the CISO at 80 %, one hour before and when overdue (marked overdue then). Points passed
    together (a late catch-up) give one notification, of the latest."""
    now = now or timezone.now()
    counts = {"notified": 0, "overdue": 0}
    for obligation in open_obligations():
        passed = clocks.reached(obligation.incident.detected_at, obligation.due_at, now)
        if not [t for t in passed if t not in obligation.escalated]:
            continue
        with transaction.atomic():
            locked = (
                Obligation.objects.select_for_update(of=("self",))
                .select_related("incident", "incident__commander")
                .get(pk=obligation.pk)
            )
            new = [t for t in passed if t not in locked.escalated]
            if locked.status != Obligation.Status.DUE or not new:
                continue
            locked.escalated = [*locked.escalated, *new]
            fields = ["escalated"]
            if "overdue" in new:
                locked.overdue_at = now
                fields.append("overdue_at")
                counts["overdue"] += 1
            locked.save(update_fields=fields)
            _notify(locked, new[-1])
            add_entry(
                locked.incident,
                "obligation_overdue" if "overdue" in new else "obligation_escalated",
                (
                    gettext("Overdue: %(report)s")
                    if "overdue" in new
                    else gettext("Reminder sent (%(point)s): %(report)s")
                )
                % {"report": locked.name, "point": new[-1]},
                None,
                _data(locked, thresholds=new),
                at=now,
            )
            counts["notified"] += 1
    return counts


def catch_up(now: datetime | None = None) -> dict[str, int]:
    """Evaluate every open incident's obligations, then escalate (the scheduled job)."""
    totals = {"incidents": 0, "created": 0, "rescheduled": 0, "withdrawn": 0, "restored": 0}
    for incident in Incident.objects.exclude(status=Incident.Status.CLOSED).order_by("pk"):
        totals["incidents"] += 1
        for key, value in evaluate(incident).items():
            totals[key] += value
    return {**totals, **escalate(now)}
