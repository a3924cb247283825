"""The development plan (SRM 4-6, 11-2): versions drafted from the projects, decided by the
committee and then the board through the shared approvals (the ``board_resolution`` policy),
the approved version current and the previous one superseded; each version shown against the
one before it.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.core.errors import Refused
from mamori.operations.models import DevelopmentPlan, DevPlanProject, DevPlanVersion, System

__all__ = [
    "KIND",
    "POLICY",
    "DevPlanRefused",
    "apply_approval",
    "current",
    "diff",
    "on_closed",
    "parse_projects",
    "project_lines",
    "save_version",
    "submit",
]

KIND = "operations.development_plan"
#: Committee, then the board (SRM 4-6): the platform's board route.
POLICY = "board_resolution"
_LINE = re.compile(
    r"^\s*(?P<name>[^|]+?)\s*\|\s*(?P<responsible>[^|]+?)\s*\|\s*(?P<system>[^|]*?)\s*\|"
    r"\s*(?P<budget>[\d,]+)\s*\|\s*(?P<start>\d{4}-\d{2}-\d{2})\s*\|\s*(?P<end>\d{4}-\d{2}-\d{2})\s*$"
)


class DevPlanRefused(Refused):
    """A development-plan action refused; ``code`` is stable for machines."""


def current(plan: DevelopmentPlan) -> DevPlanVersion | None:
    """Return the approved (current) version of ``plan``, or None."""
    return plan.versions.filter(status=DevPlanVersion.Status.APPROVED).first()


def parse_projects(text: str) -> list[dict[str, Any]]:
    """Read the projects, one a line as ``name | responsible (username) | system code |
    budget (yen) | from | to``; refuse naming every bad line."""
    rows, bad = [], []
    users = {u.get_username(): u for u in User.objects.filter(is_active=True)}
    systems = {s.code: s for s in System.objects.all()}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None or match["responsible"] not in users:
            bad.append(number)
            continue
        if match["system"] and match["system"] not in systems:
            bad.append(number)
            continue
        try:
            budget = Decimal(match["budget"].replace(",", ""))
            starts, ends = date.fromisoformat(match["start"]), date.fromisoformat(match["end"])
        except (InvalidOperation, ValueError):
            bad.append(number)
            continue
        if ends < starts:
            bad.append(number)
            continue
        rows.append(
            {
                "name": match["name"][:200],
                "responsible": users[match["responsible"]],
                "system": systems.get(match["system"]),
                "budget_jpy": budget,
                "starts_on": starts,
                "ends_on": ends,
            }
        )
    if bad:
        raise DevPlanRefused(
            "bad_projects",
            gettext(
                "line(s) %(lines)s: write each project as "
                '"name | responsible username | system code | budget yen | from | to", e.g. '
                '"New wallet | tanaka | wallet-service | 30,000,000 | 2026-04-01 | 2026-09-30"'
            )
            % {"lines": ", ".join(str(n) for n in bad)},
            fields=[("projects", gettext("name | responsible | system | budget | from | to"))],
        )
    return rows


def project_lines(version: DevPlanVersion) -> str:
    """Return the version's projects in the form's line format (to start the next draft)."""
    return "\n".join(
        f"{p.name} | {p.responsible.get_username()} | {p.system.code if p.system else ''} | "
        f"{p.budget_jpy:,.0f} | {p.starts_on.isoformat()} | {p.ends_on.isoformat()}"
        for p in version.projects.select_related("responsible", "system")
    )


def save_version(
    plan: DevelopmentPlan,
    by: User,
    *,
    starts_on: date,
    ends_on: date,
    strategy: str,
    strategy_url: str,
    projects: list[dict[str, Any]],
) -> DevPlanVersion:
    """Draft a new version of the plan; refused without a strategy, a period or a project."""
    problems = []
    if not strategy.strip():
        problems.append(("strategy", gettext("state the system strategy the plan serves")))
    if ends_on <= starts_on:
        problems.append(("ends_on", gettext("the plan period must end after it starts")))
    if not projects:
        problems.append(("projects", gettext("a plan needs its projects")))
    if problems:
        raise DevPlanRefused(
            "incomplete",
            gettext("Refused: %(problems)s") % {"problems": "; ".join(p[1] for p in problems)},
            fields=problems,
        )
    with transaction.atomic():
        parent = DevelopmentPlan.objects.select_for_update().get(pk=plan.pk)
        last = parent.versions.order_by("-number").first()
        version = DevPlanVersion.objects.create(
            plan=parent,
            number=(last.number + 1) if last else 1,
            starts_on=starts_on,
            ends_on=ends_on,
            strategy=strategy.strip(),
            strategy_url=strategy_url.strip(),
            created_by=by,
            created_at=timezone.now(),
        )
        for row in projects:
            DevPlanProject.objects.create(version=version, **row)
    return version


def _snapshot(version: DevPlanVersion) -> dict[str, Any]:
    return {
        "plan": version.plan.code,
        "number": version.number,
        "period": [version.starts_on.isoformat(), version.ends_on.isoformat()],
        "strategy": version.strategy,
        "strategy_url": version.strategy_url,
        "projects": [_project(p) for p in version.projects.select_related("responsible", "system")],
    }


def _project(project: DevPlanProject) -> dict[str, str]:
    return {
        "name": project.name,
        "responsible": project.responsible.get_username(),
        "system": project.system.code if project.system else "",
        "budget_jpy": str(project.budget_jpy),
        "period": f"{project.starts_on.isoformat()} – {project.ends_on.isoformat()}",
    }


def diff(version: DevPlanVersion) -> list[dict[str, str]]:
    """What changed from the version before: each row ``what``, ``field``, ``before``,
    ``after`` (``what`` is the plan itself or a project's name)."""
    previous = version.plan.versions.filter(number__lt=version.number).order_by("-number").first()
    if previous is None:
        return []
    rows = []
    plan_label = gettext("plan")
    for field, label in (
        ("period", gettext("period")),
        ("strategy", gettext("strategy")),
        ("strategy_url", gettext("strategy link")),
    ):
        before, after = _snapshot(previous)[field], _snapshot(version)[field]
        if before != after:
            rows.append(
                {"what": plan_label, "field": label, "before": str(before), "after": str(after)}
            )
    old = {p["name"]: p for p in _snapshot(previous)["projects"]}
    new = {p["name"]: p for p in _snapshot(version)["projects"]}
    for name in sorted(old.keys() | new.keys()):
        if name not in old:
            rows.append({"what": name, "field": gettext("added"), "before": "", "after": "✓"})
        elif name not in new:
            rows.append({"what": name, "field": gettext("removed"), "before": "✓", "after": ""})
        else:
            rows.extend(
                {"what": name, "field": key, "before": old[name][key], "after": new[name][key]}
                for key in ("responsible", "system", "budget_jpy", "period")
                if old[name][key] != new[name][key]
            )
    return rows


def submit(version: DevPlanVersion, by: User) -> ApprovalRequest:
    """Send a draft to the committee and then the board (SRM 4-6)."""
    with transaction.atomic():
        version = (
            DevPlanVersion.objects.select_for_update().select_related("plan").get(pk=version.pk)
        )
        if version.status != DevPlanVersion.Status.DRAFT:
            raise DevPlanRefused(
                "not_a_draft",
                gettext("version %(number)s is %(status)s: draft a new version")
                % {"number": version.number, "status": version.get_status_display()},
                status=409,
            )
        request = approvals.submit(
            KIND,
            f"開発計画 / development plan {version.plan.code} v{version.number}",
            _snapshot(version),
            by,
        )
        version.status = DevPlanVersion.Status.PENDING
        version.approval = request
        version.save(update_fields=["status", "approval"])
    return request


def apply_approval(request: ApprovalRequest) -> None:
    """Make the approved version current and supersede the one before."""
    version = (
        DevPlanVersion.objects.select_for_update().select_related("plan").get(approval=request)
    )
    approvals.verify(request, _snapshot(version))
    DevPlanVersion.objects.filter(plan=version.plan, status=DevPlanVersion.Status.APPROVED).update(
        status=DevPlanVersion.Status.SUPERSEDED
    )
    version.status = DevPlanVersion.Status.APPROVED
    version.approved_at = timezone.now()
    version.save(update_fields=["status", "approved_at"])


def on_closed(request: ApprovalRequest) -> None:
    """Return a rejected or expired request's version to *rejected*."""
    if request.kind != KIND or request.status == ApprovalRequest.Status.APPROVED:
        return
    DevPlanVersion.objects.filter(approval=request, status=DevPlanVersion.Status.PENDING).update(
        status=DevPlanVersion.Status.REJECTED
    )
