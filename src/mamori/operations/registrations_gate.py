"""What quality management and the deploy gate bring: the override approval kind, scopes,
pages, compliance checks, links and the demo step (SRM 15, 16, 18, 19, 20)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mamori.accounts.services.roles import has_permission


def _can_view(request: HttpRequest) -> bool:
    return has_permission(request.user, "quality.view")


def register_gate() -> None:
    """Register everything quality management and the deploy gate bring."""
    from mamori.accounts.services import approvals
    from mamori.core.demo import register_demo_loader
    from mamori.core.navigation import register_page
    from mamori.core.scopes import register_scope
    from mamori.operations import compliance_gate, demo_gate
    from mamori.operations.services import gate

    approvals.register_kind(
        gate.OVERRIDE_KIND,
        policy=gate.OVERRIDE_POLICY,
        apply=gate.apply_override,
        subject=lambda snapshot: snapshot.get("responsible"),
    )
    register_scope("changes:gate", _("ask the deploy gate for an artifact"), "changes.gate")
    register_scope("quality:read", _("read the quality plans"), "quality.view")
    compliance_gate.register()
    register_override_display()
    register_page("operations", _("Quality plans (SRM 16, 19)"), "operations:quality", _can_view)
    register_page(
        "operations", _("Secure-coding standard (SRM 18)"), "operations:secure_coding", _can_view
    )
    register_page("operations", _("Freeze windows (SRM 19)"), "operations:freezes", _can_view)
    register_page("operations", _("Change findings (SRM 19)"), "operations:findings", _can_view)
    register_demo_loader("operations-gate", demo_gate.load, order=560)


def _override_title(snapshot: dict[str, Any]) -> str:
    from django.utils.translation import gettext

    return gettext("Override the deploy gate for %(change)s (%(digest)s)") % {
        "change": snapshot["change"],
        "digest": snapshot["artifact_digest"][:30],
    }


def _override_context(item: Any) -> dict[str, Any]:
    from django.utils.translation import gettext

    snapshot = item.snapshot
    return {
        "sentence": _override_title(snapshot),
        "details": [
            (gettext("Artifact digest"), snapshot["artifact_digest"]),
            (gettext("Reason"), snapshot["reason"]),
            (
                gettext("What the gate said when it was asked"),
                ", ".join(snapshot.get("blockers") or []) or "—",
            ),
        ],
    }


def _override_links(item: Any) -> list[Any]:
    from django.utils.translation import gettext

    from mamori.accounts import approval_display

    return [
        approval_display.link_to(
            gettext("Deploy gate"), "operations:change_gate", item.snapshot["change"]
        )
    ]


def register_override_display() -> None:
    """Show an override request to its approvers: the change, the digest, the reason and the
    reasons the gate gave."""
    from mamori.accounts import approval_display
    from mamori.operations.services import gate

    approval_display.register_display(
        gate.OVERRIDE_KIND,
        template="accounts/approval_kinds/sentence.html",
        title=_override_title,
        context=_override_context,
        links=_override_links,
    )
