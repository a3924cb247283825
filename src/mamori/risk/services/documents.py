"""The security plan and the sign-off record as PDF for the committee, the board and
inspectors (ISM 19, 20), each download recorded in the audit log."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from mamori.auditlog.services import record_export
from mamori.risk.models import SecurityPlan
from mamori.risk.services import plans

__all__ = ["plan_pdf"]


def plan_pdf(plan: SecurityPlan, language: str) -> bytes:
    """Return ``plan`` with its approval decisions and the owners' sign-offs as a PDF."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    decisions = plan.approval.decisions.select_related("approver") if plan.approval else []
    live = plans.live_snapshot(plan.assessment)
    with translation.override(language):
        html = render_to_string(
            "risk/plan_pdf.html",
            {
                "plan": plan,
                "snapshot": plan.snapshot,
                "decisions": decisions,
                "states": plans.owner_states(plan, live),
                "out_of_date": plans.out_of_date(plan, live),
                "language": language,
                "time_zone": settings.CONFIG.time_zone,
            },
        )
    body = bytes(HTML(string=html).write_pdf())
    record_export(
        "risk.security_plan",
        hashlib.sha256(body).hexdigest(),
        {"version": plan.version, "format": "pdf", "plan_sha256": plan.sha256},
        object_id=str(plan.pk),
    )
    return body
