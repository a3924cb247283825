"""The severity rules kept as data and the sources of alerts from outside (SRM 6-1-3, 7-3)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.operations import forms, views_senders
from mamori.operations.models import AlertSource, SeverityRule
from mamori.operations.services import alerts

__all__ = [
    "rule_add_view",
    "rule_delete_view",
    "rules_view",
    "source_disable_view",
    "sources_view",
]


def _rules_page(
    request: HttpRequest, form: forms.SeverityRuleForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "operations/rules.html",
        {
            "rules": SeverityRule.objects.all(),
            "form": form,
            "can_manage": has_permission(request.user, "incidents.manage"),
        },
        status=status,
    )


@permission_required("incidents.view")
def rules_view(request: HttpRequest) -> HttpResponse:
    """List the severity rules (new and regraded incidents are graded by them as they stand)."""
    return _rules_page(request, forms.SeverityRuleForm())


@require_POST
@permission_required("incidents.manage")
def rule_add_view(request: HttpRequest) -> HttpResponse:
    """Add a severity rule; a bad one is shown with what is wrong."""
    form = forms.SeverityRuleForm(request.POST)
    if not form.is_valid():
        return _rules_page(request, form, status=422)
    rule = form.save()
    messages.success(request, _("Rule %(rule)s added.") % {"rule": rule})
    return redirect("operations:rules")


@require_POST
@permission_required("incidents.manage")
def rule_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a severity rule."""
    rule = get_object_or_404(SeverityRule, pk=pk)
    shown = str(rule)
    rule.delete()
    messages.success(request, _("Rule %(rule)s deleted.") % {"rule": shown})
    return redirect("operations:rules")


@permission_required("incidents.manage")
def sources_view(request: HttpRequest) -> HttpResponse:
    """The sources that post signed alerts: create one or rotate its secret (shown once)."""
    return views_senders.secret_page(
        request,
        alerts.rotate_secret,
        lambda code: (
            _("The secret of %(source)s is shown once below: give it to the source now.")
            % {"source": code}
        ),
        "operations/sources.html",
        {"sources": AlertSource.objects.all()},
    )


@require_POST
@permission_required("incidents.manage")
def source_disable_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Stop accepting a source's alerts."""
    return views_senders.disable(
        request,
        AlertSource,
        pk,
        lambda code: _("%(source)s no longer raises incidents.") % {"source": code},
        "operations:sources",
    )
