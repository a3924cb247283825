"""Custody pages: active halts with lift requests, alerts with acknowledgement, recent
decisions, thresholds, wallets (ISM 27)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
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
from mamori.custody.services import cap, charts, halts, thresholds
from mamori.notifications.models import Delivery, Notification


@permission_required("custody.view")
def overview_view(request: HttpRequest) -> HttpResponse:
    """Show halts, the latest decisions that were not plain allows, thresholds, wallets."""
    flagged = (
        MonitorRecord.objects.filter(kind=MonitorRecord.Kind.EVENT)
        .exclude(action="allow", reasons=[])
        .order_by("-pk")[:50]
    )
    alerts = list(
        Notification.objects.filter(topic__startswith="custody.")
        .select_related("acknowledged_by")
        .order_by("-created_at", "-pk")[:50]
    )
    mine = set(
        Delivery.objects.filter(
            user_id=request.user.pk or 0, notification__in=[a.pk for a in alerts]
        ).values_list("notification_id", flat=True)
    )
    return render(
        request,
        "custody/overview.html",
        {
            "alerts": [(alert, alert.pk in mine) for alert in alerts],
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


@permission_required("custody.manage")
def thresholds_view(request: HttpRequest) -> HttpResponse:
    """Add a threshold (the whole set is checked before it applies), or ask for one to be
    switched on or off: two people approve that, as they do a halt's lift."""
    from django.db import transaction

    from mamori.custody.forms import ThresholdForm
    from mamori.custody.services import monitor
    from mamori.engines.threshold import ConfigError

    form = ThresholdForm()
    if request.method == "POST":
        if "toggle" in request.POST:
            return _switch(request, request.POST["toggle"])
        try:
            with transaction.atomic():
                form = ThresholdForm(request.POST)
                if not form.is_valid():
                    raise _Invalid
                form.save()
                monitor.apply_thresholds()
        except _Invalid:
            pass
        except ConfigError as exc:
            messages.error(request, _("Thresholds refused, nothing changed: %(e)s") % {"e": exc})
        else:
            messages.success(request, _("Thresholds are in effect."))
            return redirect("custody:thresholds")
    waiting = thresholds.pending_by_rule()
    rules = ThresholdRule.objects.select_related("asset")
    return render(
        request,
        "custody/thresholds.html",
        {"form": form, "rules": [(rule, waiting.get(rule.code)) for rule in rules]},
    )


def _switch(request: HttpRequest, toggle: str) -> HttpResponse:
    """Ask for the threshold numbered ``toggle`` to be switched on or off."""
    if not toggle.isdigit():
        return HttpResponseBadRequest(
            _("The threshold to switch is given by its number; got %(value)s.")
            % {"value": toggle[:40]}
        )
    rule = get_object_or_404(ThresholdRule, pk=int(toggle))
    try:
        approval = thresholds.request_switch(rule, request.user)  # type: ignore[arg-type]
    except ApprovalRefused as refused:
        messages.error(request, refused.message)
    else:
        if rule.active:
            said = _(
                "Switching threshold %(code)s off needs two approvals: request #%(id)s was sent."
            )
        else:
            said = _(
                "Switching threshold %(code)s on needs two approvals: request #%(id)s was sent."
            )
        messages.success(request, said % {"code": rule.code, "id": approval.pk})
    return redirect("custody:thresholds")


class _Invalid(Exception):
    """The form has errors (shown with the form)."""
