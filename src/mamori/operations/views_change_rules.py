"""The change-control rules page (SRM 11-3, 17, 22): what entering each stage needs per kind
of change and the time limits after a release; holders of ``systems.manage`` propose new ones,
which take effect once two officers approve (:mod:`mamori.operations.services.change_rules`;
the time limits are operations settings, :mod:`mamori.operations.services.operations_settings`)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.errors import Refused
from mamori.operations.forms_change_rules import LimitsForm, StageRuleForm
from mamori.operations.services import change_rules, operations_settings
from mamori.operations.services.changes import setting
from mamori.operations.views_settings import proposed

__all__ = ["change_rules_view"]

MANAGE = "systems.manage"


@permission_required("changes.view")
def change_rules_view(request: HttpRequest) -> HttpResponse:
    """The stage rules and time limits, the proposals waiting, and (for managers) the forms."""
    can_manage = has_permission(request.user, MANAGE)
    current = setting()
    rule_form = StageRuleForm(prefix="rule") if can_manage else None
    limits_form = (
        LimitsForm(
            prefix="limits",
            initial={
                "emergency_review_hours": current.emergency_review_hours,
                "review_within_days": current.review_within_days,
            },
        )
        if can_manage
        else None
    )
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(MANAGE)
        which = request.POST.get("which", "")
        form: StageRuleForm | LimitsForm
        if which == "limits":
            form = limits_form = LimitsForm(request.POST, prefix="limits")
        else:
            form = rule_form = StageRuleForm(request.POST, prefix="rule")
        if form.is_valid():
            data = form.cleaned_data
            try:
                if which == "limits":
                    asked = operations_settings.propose("changes", data, request.user)  # type: ignore[arg-type]
                else:
                    asked = change_rules.propose_rule(
                        data["kind"],
                        data["stage"],
                        data["needs_approval"],
                        data["policy"],
                        data["after_the_fact"],
                        request.user,  # type: ignore[arg-type]
                    )
            except Refused as refused:
                messages.error(request, refused.shown())
            else:
                return proposed(request, asked.pk, "operations:change_rules")
    return render(
        request,
        "operations/changes/rules.html",
        {
            "rules": change_rules.rules(),
            "setting": current,
            "pending": change_rules.pending()
            + [r for r in operations_settings.pending() if r.snapshot["setting"] == "changes"],
            "rule_form": rule_form,
            "limits_form": limits_form,
            "can_manage": can_manage,
        },
    )
