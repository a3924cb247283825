"""Contingency plans (SRM 5-2, ISM 3): a plan per scenario, versioned, approved through the
shared approvals under a policy the server chooses, reviewed yearly and flagged for review when
something it relies on changes (the people in the leaders' roles, the leak-response runbook).

The crypto-asset-leak plan does not repeat the keys module's leak-response runbook (ISM 30-1):
a version drafted for it points at the runbook approved at the time.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.core.errors import Refused
from mamori.operations.models import ContingencyPlan, PlanVersion

__all__ = [
    "KIND",
    "POLICY",
    "REVIEW_EVERY_DAYS",
    "PlanRefused",
    "apply_approval",
    "current",
    "flag_review",
    "on_closed",
    "parse_contacts",
    "parse_steps",
    "plan",
    "review_overdue",
    "save_version",
    "submit",
]

KIND = "operations.approve_contingency_plan"
POLICY = "contingency_plan"
#: A plan is reviewed at least this often (SRM 5-2, ISM 3).
REVIEW_EVERY_DAYS = 365
SCENARIOS = ContingencyPlan.Scenario


class PlanRefused(Refused):
    """A contingency-plan action refused; ``code`` is stable for machines."""


def plan(scenario: str) -> ContingencyPlan:
    """Return the plan of ``scenario``, made if missing; refuse an unknown scenario."""
    if scenario not in SCENARIOS.values:
        raise PlanRefused(
            "unknown_scenario",
            gettext("Expected a scenario in %(scenarios)s, got %(scenario)s.")
            % {"scenarios": ", ".join(SCENARIOS.values), "scenario": scenario},
        )
    found, _created = ContingencyPlan.objects.get_or_create(scenario=scenario)
    return found


def current(scenario: str) -> PlanVersion | None:
    """Return the approved (current) version of ``scenario``'s plan, or None."""
    return (
        PlanVersion.objects.filter(plan__scenario=scenario, status=PlanVersion.Status.APPROVED)
        .select_related("plan")
        .first()
    )


def parse_steps(text: str) -> list[dict[str, Any]]:
    """Read the steps, one a line as ``minutes | what to do`` (the leak runbook's format)."""
    from mamori.keys.leak import parse_steps as read

    return read(text)


_CONTACT = re.compile(r"^\s*(\S.*?)\s*(?:->|→|>)\s*(\S.*?)\s*[|｜]\s*(\+?[\d\-() ]{6,30})\s*$")


def parse_contacts(text: str) -> list[dict[str, str]]:
    """Read the contact tree, one call a line as ``caller -> callee | phone``; refuse naming
    every bad line."""
    calls, bad = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _CONTACT.match(line)
        if match is None:
            bad.append(number)
            continue
        calls.append(
            {
                "caller": match.group(1)[:100],
                "callee": match.group(2)[:100],
                "phone": match.group(3),
            }
        )
    if bad:
        raise PlanRefused(
            "bad_contacts",
            gettext(
                'line(s) %(lines)s: write each call as "caller -> callee | phone", '
                'e.g. "CSIRT lead -> system general manager | 03-1234-5678"'
            )
            % {"lines": ", ".join(str(n) for n in bad)},
            fields=[("contacts", gettext("caller -> callee | phone"))],
        )
    return calls


def save_version(
    scenario: str,
    by: User,
    *,
    text: str,
    steps: list[dict[str, Any]],
    contacts: list[dict[str, str]],
    representative_director: User,
    representative_director_role: str,
    system_general_manager: User,
    system_general_manager_role: str,
) -> PlanVersion:
    """Draft a new version of ``scenario``'s plan; refused, naming each part, when it lacks its
    text, steps, contact tree or the two leaders' roles (SRM 5-2)."""
    problems = []
    if not text.strip():
        problems.append(("text", gettext("write the plan")))
    if not steps:
        problems.append(("steps", gettext("a plan needs its steps")))
    if not contacts:
        problems.append(("contacts", gettext("a plan needs its contact tree")))
    if not representative_director_role.strip():
        problems.append(
            ("representative_director_role", gettext("say what the representative director does"))
        )
    if not system_general_manager_role.strip():
        problems.append(
            ("system_general_manager_role", gettext("say what the system general manager does"))
        )
    if problems:
        raise PlanRefused(
            "incomplete",
            gettext("Refused: %(problems)s") % {"problems": "; ".join(p[1] for p in problems)},
            fields=problems,
        )
    leak_runbook = None
    if scenario == SCENARIOS.CRYPTO_ASSET_LEAK:
        from mamori.keys import leak

        leak_runbook = leak.approved("runbook")
    with transaction.atomic():
        parent = ContingencyPlan.objects.select_for_update().get(pk=plan(scenario).pk)
        last = parent.versions.order_by("-number").first()
        return PlanVersion.objects.create(
            plan=parent,
            number=(last.number + 1) if last else 1,
            text=text.strip()[:200_000],
            steps=steps,
            contacts=contacts,
            representative_director=representative_director,
            representative_director_role=representative_director_role.strip(),
            system_general_manager=system_general_manager,
            system_general_manager_role=system_general_manager_role.strip(),
            leak_runbook=leak_runbook,
            created_by=by,
            created_at=timezone.now(),
        )


def _snapshot(version: PlanVersion) -> dict[str, Any]:
    return {
        "scenario": version.plan.scenario,
        "number": version.number,
        "text_sha256": hashlib.sha256(version.text.encode()).hexdigest(),
        "steps": version.steps,
        "contacts": version.contacts,
        "representative_director": version.representative_director.get_username(),
        "representative_director_role": version.representative_director_role,
        "system_general_manager": version.system_general_manager.get_username(),
        "system_general_manager_role": version.system_general_manager_role,
        "leak_runbook": version.leak_runbook.number if version.leak_runbook else None,
    }


def submit(version: PlanVersion, by: User) -> ApprovalRequest:
    """Send a draft for approval; it becomes the plan once approved (SRM 5-2)."""
    with transaction.atomic():
        version = PlanVersion.objects.select_for_update().select_related("plan").get(pk=version.pk)
        if version.status != PlanVersion.Status.DRAFT:
            raise PlanRefused(
                "not_a_draft",
                gettext("version %(number)s is %(status)s: draft a new version")
                % {"number": version.number, "status": version.get_status_display()},
                status=409,
            )
        request = approvals.submit(
            KIND,
            f"Approve the {version.plan.scenario} contingency plan v{version.number}",
            _snapshot(version),
            by,
        )
        version.status = PlanVersion.Status.PENDING
        version.approval = request
        version.save(update_fields=["status", "approval"])
    return request


def apply_approval(request: ApprovalRequest) -> None:
    """Make the approved version the plan, supersede the previous one, set the next yearly
    review and clear the review flag raised before the version was drafted."""
    version = PlanVersion.objects.select_for_update().select_related("plan").get(approval=request)
    approvals.verify(request, _snapshot(version))
    now = timezone.now()
    PlanVersion.objects.filter(plan=version.plan, status=PlanVersion.Status.APPROVED).update(
        status=PlanVersion.Status.SUPERSEDED
    )
    version.status = PlanVersion.Status.APPROVED
    version.approved_at = now
    version.save(update_fields=["status", "approved_at"])
    parent = ContingencyPlan.objects.select_for_update().get(pk=version.plan_id)
    parent.next_review_on = timezone.localdate(now) + timedelta(days=REVIEW_EVERY_DAYS)
    left = [r for r in parent.review_reasons if r["at"] > version.created_at.isoformat()]
    parent.review_reasons = left
    parent.review_flagged_since = (
        datetime.fromisoformat(min(r["at"] for r in left)) if left else None
    )
    parent.save(update_fields=["next_review_on", "review_reasons", "review_flagged_since"])


def on_closed(request: ApprovalRequest) -> None:
    """Return a rejected or expired request's version to *rejected*."""
    if request.kind != KIND or request.status == ApprovalRequest.Status.APPROVED:
        return
    PlanVersion.objects.filter(approval=request, status=PlanVersion.Status.PENDING).update(
        status=PlanVersion.Status.REJECTED
    )


def flag_review(reason: str, scenarios: list[str] | None = None) -> int:
    """Flag plans for review because ``reason`` changed (all plans unless ``scenarios``); the
    flag clears when a version drafted after the change is approved. Return how many."""
    now = timezone.now()
    count = 0
    with transaction.atomic():
        for found in ContingencyPlan.objects.select_for_update().filter(
            scenario__in=scenarios or SCENARIOS.values
        ):
            found.review_reasons = [
                *found.review_reasons,
                {"at": now.isoformat(), "reason": reason[:300]},
            ][-50:]
            found.review_flagged_since = found.review_flagged_since or now
            found.save(update_fields=["review_reasons", "review_flagged_since"])
            count += 1
    return count


def review_overdue(found: ContingencyPlan, today: date | None = None) -> bool:
    """Say whether the plan's yearly review date has passed."""
    today = today or timezone.localdate()
    return found.next_review_on is not None and found.next_review_on < today
