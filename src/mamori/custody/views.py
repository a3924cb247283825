"""Custody pages: active halts with lift requests, recent decisions, thresholds, wallets."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.approvals import ApprovalRefused
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.custody.models import (
    AllowedAddress,
    Asset,
    Halt,
    MonitorRecord,
    ThresholdRule,
    Wallet,
)
from mamori.custody.services import cap, charts, halts


@permission_required("custody.view")
def overview_view(request: HttpRequest) -> HttpResponse:
    """Show halts, the latest decisions that were not plain allows, thresholds, wallets."""
    flagged = (
        MonitorRecord.objects.filter(kind=MonitorRecord.Kind.EVENT)
        .exclude(action="allow", reasons=[])
        .order_by("-pk")[:50]
    )
    return render(
        request,
        "custody/overview.html",
        {
            "active": Halt.objects.filter(lifted_at__isnull=True).select_related("lift_request"),
            "lifted": Halt.objects.filter(lifted_at__isnull=False)[:20],
            "flagged": flagged,
            "decided": MonitorRecord.objects.filter(kind=MonitorRecord.Kind.EVENT).count(),
            "rules": ThresholdRule.objects.select_related("asset"),
            "assets": Asset.objects.select_related("responsible"),
            "wallets": Wallet.objects.select_related("asset"),
            "can_manage": has_permission(request.user, "custody.manage"),
            "caps": cap.assess_all(),
            "charts": charts.outflow_charts(),
            "addresses": AllowedAddress.objects.select_related("asset", "approval")[:50],
        },
    )


@require_POST
@permission_required("custody.manage")
def lift_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for a halt to be lifted (two distinct authorised approvers)."""
    halt = get_object_or_404(Halt, pk=pk)
    try:
        approval = halts.request_lift(halt, request.user)  # type: ignore[arg-type]
    except ApprovalRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Lifting needs two approvals: request #%(id)s was sent.") % {"id": approval.pk},
        )
    return redirect("custody:overview")
