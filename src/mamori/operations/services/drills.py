"""Drills of the contingency plans (SRM 5-2, ISM 30-3), run as exercises in mamori.

A drill is scheduled on an approved plan version with the leaders who must command it (the
representative director and the system general manager, SRM 5-2). Starting it reports an
incident marked *drill* that follows the same flow as a real one (its obligations' clocks
included) with the starting leader as commander; each plan step is started and finished against
its target minutes; findings and follow-up actions are recorded; finishing the drill records it.
A drill of the crypto-asset-leak plan may point at the keys module's key-holder drill (ISM 30-3)
held with it rather than repeat it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from mamori.accounts.models import RoleAssignment, User
from mamori.core.bilingual import in_both
from mamori.core.errors import Refused
from mamori.operations.models import ContingencyPlan, DrillCommand, Incident, PlanDrill
from mamori.operations.services import incidents
from mamori.operations.services.plans import current

__all__ = [
    "LEADER_ROLES",
    "DrillRefused",
    "finish",
    "leader_role",
    "schedule",
    "start",
    "step",
    "take_command",
]

#: The roles whose holders must command drills themselves (SRM 5-2).
LEADER_ROLES = ("representative_director", "system_general_manager")
#: The kind of incident a drill of each scenario opens.
INCIDENT_KIND = {
    "system_failure": Incident.Kind.SYSTEM_FAILURE,
    "cyber_attack": Incident.Kind.CYBER_ATTACK,
    "crypto_asset_leak": Incident.Kind.CRYPTO_ASSET_LEAK,
    "data_centre_loss": Incident.Kind.SYSTEM_FAILURE,
    "vendor_failure": Incident.Kind.VENDOR_FAILURE,
}


class DrillRefused(Refused):
    """A drill action refused; ``code`` is stable for machines."""


def leader_role(person: User) -> str | None:
    """Return the leader role (SRM 5-2) ``person`` holds now, or None."""
    held = (
        RoleAssignment.objects.filter(
            user=person, role__code__in=LEADER_ROLES, revoked_at__isnull=True
        )
        .values_list("role__code", flat=True)
        .first()
    )
    return held


def schedule(
    scenario: str,
    on: date,
    leaders: Iterable[User],
    participants: Iterable[User],
    by: User,
) -> PlanDrill:
    """Schedule a drill of ``scenario``'s approved plan with the leaders who must command it;
    refused with no approved plan or a leader not holding a leader role (named)."""
    version = current(scenario)
    if version is None:
        raise DrillRefused(
            "no_plan", gettext("Refused: a drill needs an approved plan to rehearse.")
        )
    leaders = list(leaders)
    if not leaders:
        raise DrillRefused(
            "no_leader",
            gettext("Refused: name the leader(s) who must command the drill."),
            fields=[("leaders", gettext("required"))],
        )
    others = sorted(p.get_username() for p in leaders if leader_role(p) is None)
    if others:
        raise DrillRefused(
            "not_a_leader",
            gettext(
                "Refused: %(people)s hold neither the representative director's nor the system "
                "general manager's role."
            )
            % {"people": ", ".join(others)},
            fields=[("leaders", gettext("leaders only"))],
        )
    leak_drill = None
    if scenario == "crypto_asset_leak":
        from mamori.keys.models import Drill

        leak_drill = Drill.objects.filter(scheduled_for=on).order_by("-pk").first()
    with transaction.atomic():
        drill = PlanDrill.objects.create(
            plan=version.plan,
            version=version,
            scheduled_for=on,
            leak_drill=leak_drill,
            scheduled_by=by,
            step_times=[
                {
                    "title": s["title"],
                    "target": s["minutes"],
                    "started_at": None,
                    "finished_at": None,
                }
                for s in version.steps
            ],
        )
        drill.leaders.set(leaders)
        drill.participants.set({*leaders, *participants})
    return drill


def _command(drill: PlanDrill, leader: User, by: User) -> None:
    role = leader_role(leader)
    if role is None or not drill.leaders.filter(pk=leader.pk).exists():
        raise DrillRefused(
            "leader_must_command",
            gettext("Only a leader named for this drill commands it (SRM 5-2)."),
            status=403,
        )
    assert drill.incident is not None
    incidents.set_commander(drill.incident, leader, by)
    DrillCommand.objects.get_or_create(
        drill=drill, leader=leader, defaults={"role": role, "at": timezone.now()}
    )


def _scenario(drill: PlanDrill) -> Any:
    """The drill's scenario as a lazy label, read in whichever language says it."""
    return ContingencyPlan.Scenario(drill.plan.scenario).label


def _both(message: str, drill: PlanDrill) -> str:
    """Say ``message`` about ``drill`` in Japanese and English ("日本語 / English"): the
    drill incident's title is data read in either language."""
    return " / ".join(in_both(message, plan=_scenario(drill), number=drill.version.number))


def _refuse_unless(drill: PlanDrill, status: str) -> None:
    if drill.status != status:
        raise DrillRefused(
            "drill_state",
            gettext("The drill is %(status)s.") % {"status": drill.get_status_display()},
            status=409,
        )


def start(drill: PlanDrill, by: User) -> PlanDrill:
    """Start the drill: report an incident marked *drill* commanded by ``by``, who must be one
    of its leaders (SRM 5-2)."""
    _refuse_unless(drill, PlanDrill.Status.SCHEDULED)
    if leader_role(by) is None or not drill.leaders.filter(pk=by.pk).exists():
        raise DrillRefused(
            "leader_must_command",
            gettext("Only a leader named for this drill commands it (SRM 5-2)."),
            status=403,
        )
    with transaction.atomic():
        drill = PlanDrill.objects.select_for_update().get(pk=drill.pk)
        _refuse_unless(drill, PlanDrill.Status.SCHEDULED)
        incident = incidents.report(
            _both(gettext_noop("Drill: %(plan)s"), drill),
            _both(gettext_noop("contingency drill v%(number)s"), drill),
            by,
            kind=INCIDENT_KIND[drill.plan.scenario],
            drill=True,
        )
        drill.incident = incident
        drill.status = PlanDrill.Status.RUNNING
        drill.started_at = timezone.now()
        drill.save(update_fields=["incident", "status", "started_at"])
        incidents.link(incident, "operations.plandrill", str(drill.pk), str(drill))
        _command(drill, by, by)
        incidents.change_status(incident, Incident.Status.RESPONDING, by)
    return drill


def take_command(drill: PlanDrill, by: User) -> PlanDrill:
    """Hand the running drill's command to ``by``, another of its leaders (SRM 5-2)."""
    _refuse_unless(drill, PlanDrill.Status.RUNNING)
    with transaction.atomic():
        _command(drill, by, by)
    return drill


def step(drill: PlanDrill, index: int, what: str, by: User) -> PlanDrill:
    """Record that plan step ``index`` (0-based) ``started`` or ``finished`` now."""
    _refuse_unless(drill, PlanDrill.Status.RUNNING)
    if what not in ("started", "finished") or not 0 <= index < len(drill.step_times):
        raise DrillRefused("bad_step", gettext("No such step."))
    with transaction.atomic():
        drill = PlanDrill.objects.select_for_update().get(pk=drill.pk)
        times = [dict(s) for s in drill.step_times]
        now = timezone.now()
        entry = times[index]
        if what == "finished" and not entry["started_at"]:
            entry["started_at"] = now.isoformat()
        entry[f"{what}_at"] = now.isoformat()
        drill.step_times = times
        drill.save(update_fields=["step_times"])
        drill.participants.add(by)
        assert drill.incident is not None
        incidents.add_entry(
            drill.incident,
            "drill_step",
            gettext("Step %(number)s %(what)s: %(title)s")
            % {
                "number": index + 1,
                "what": gettext("started") if what == "started" else gettext("finished"),
                "title": entry["title"],
            },
            by,
            {"step": index + 1, "what": what},
        )
    return drill


def finish(drill: PlanDrill, findings: str, by: User) -> PlanDrill:
    """Finish the drill and record it: its findings; the drill incident recovers and closes
    (unless its own close checks keep it open, e.g. a review required of drills)."""
    _refuse_unless(drill, PlanDrill.Status.RUNNING)
    with transaction.atomic():
        drill = PlanDrill.objects.select_for_update().get(pk=drill.pk)
        drill.status = PlanDrill.Status.COMPLETED
        drill.finished_at = timezone.now()
        drill.findings = findings.strip()
        drill.save(update_fields=["status", "finished_at", "findings"])
        assert drill.incident is not None
        incidents.change_status(drill.incident, Incident.Status.RECOVERED, by)
    with contextlib.suppress(incidents.IncidentRefused):
        incidents.change_status(drill.incident, Incident.Status.CLOSED, by)
    return drill


def minutes(entry: dict[str, str | None]) -> int | None:
    """Return the whole minutes a step took, or None if not finished."""
    from datetime import datetime

    if not entry.get("started_at") or not entry.get("finished_at"):
        return None
    took = datetime.fromisoformat(str(entry["finished_at"])) - datetime.fromisoformat(
        str(entry["started_at"])
    )
    return int(took.total_seconds() // 60)
