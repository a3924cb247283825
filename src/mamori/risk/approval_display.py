"""How a security plan sent for approval is shown: its summary, what changed since the plan
approved before it (a line per risk, compared with difflib) and a link to its PDF."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from mamori.accounts import approval_display as display
from mamori.accounts.models import ApprovalRequest


def _title(snapshot: dict[str, Any]) -> str:
    content = snapshot["content"]
    return _("Security plan %(name)s, version %(version)s") % {
        "name": content["assessment"]["name"],
        "version": snapshot["version"],
    }


def _lines(content: dict[str, Any], english: bool) -> str:
    """Return the plan as one line per risk: what a committee compares between versions."""
    lines = []
    for entry in content.get("scenarios", []):
        name = entry["name_en"] if english else entry["name_ja"]
        levels = entry.get("levels", {})
        lines.append(
            f"{entry['code']} {name} | {_('owner')}: {entry['owner']} | "
            f"{_('treatment')}: {entry.get('option') or '—'} | "
            f"{_('controls')}: {', '.join(entry.get('controls', [])) or '—'} | "
            f"{_('inherent')}: {levels.get('inherent', {}).get('level', '—')} → "
            f"{_('residual')}: {levels.get('residual', {}).get('level', '—')}"
        )
        if entry.get("new_controls"):
            lines.append(f"    {_('new controls')}: {entry['new_controls']}")
        for action in entry.get("actions", []):
            lines.append(
                f"    {_('action')}: {action['text']} ({action['owner']}, {action['due']})"
            )
    return "\n".join(lines)


def _context(item: ApprovalRequest) -> dict[str, Any]:
    from mamori.risk.models import SecurityPlan

    snapshot = item.snapshot
    content = snapshot["content"]
    english = (get_language() or "ja").startswith("en")
    plan = SecurityPlan.objects.filter(pk=snapshot["plan"]).select_related("assessment").first()
    previous = None
    if plan is not None:
        previous = (
            SecurityPlan.objects.filter(
                assessment=plan.assessment,
                status=SecurityPlan.Status.APPROVED,
                version__lt=plan.version,
            )
            .order_by("-version")
            .first()
        )
    scenarios = [
        {
            "code": e["code"],
            "name": e["name_en"] if english else e["name_ja"],
            "owner": e["owner"],
            "option": e.get("option") or "—",
            "inherent": e.get("levels", {}).get("inherent", {}).get("level", "—"),
            "residual": e.get("levels", {}).get("residual", {}).get("level", "—"),
            "controls": ", ".join(e.get("controls", [])) or "—",
        }
        for e in content.get("scenarios", [])
    ]
    after = _lines(content, english)
    return {
        "assessment": content["assessment"]["name"],
        "criteria": content.get("criteria", {}),
        "scenarios": scenarios,
        "budget": content.get("budget_jpy", "0"),
        "previous": previous,
        "diff": display.diff_lines(_lines(previous.snapshot, english), after) if previous else [],
    }


def _links(item: ApprovalRequest) -> list[display.Link]:
    snapshot = item.snapshot
    return [
        display.link_to(
            _("The plan as PDF (version %(version)s)") % {"version": snapshot["version"]},
            "risk:plan_pdf",
            int(snapshot["plan"]),
        ),
        display.link_to(_("Security plans"), "risk:plans"),
    ]


def register() -> None:
    """Register how security plans are shown for approval."""
    from mamori.risk.services import plans

    display.register_display(
        plans.KIND,
        template="risk/approval_plan.html",
        title=_title,
        context=_context,
        links=_links,
    )
