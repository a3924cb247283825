"""Custody pages: active halts with lift requests, alerts with acknowledgement, recent
decisions, thresholds, wallets (ISM 27)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.models import ApprovalRequest
from mamori.accounts.services.approvals import ApprovalRefused
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.numbers import record_number
from mamori.core.paging import paged
from mamori.core.tables import downloaded, listing
from mamori.custody import lists
from mamori.custody.models import (
    AllowedAddress,
    Asset,
    Halt,
    MonitorRecord,
    ThresholdRule,
    Wallet,
    active_halts,
)
from mamori.custody.services import cap, charts, halts, limits, monitor, preview, thresholds
from mamori.notifications.models import Notification


@permission_required("custody.view")
def overview_view(request: HttpRequest) -> HttpResponse:
    """Show halts, the decisions that were not plain allows, the withdrawal address
    registrations (both lists paged, sorted, filtered and downloadable), thresholds, wallets."""
    decisions = listing(request, lists.flagged(), lists.DecisionTable, prefix="decisions-")
    addresses = listing(
        request,
        AllowedAddress.objects.select_related("asset", "approval"),
        lists.AddressTable,
        prefix="allowlist-",
    )
    alerts = listing(
        request,
        Notification.objects.filter(topic__startswith="custody.").select_related("acknowledged_by"),
        lists.AlertTable,
        prefix="alerts-",
    )
    if download := downloaded(decisions, addresses, alerts):
        return download
    return render(
        request,
        "custody/overview.html",
        {
            "alerts": alerts,
            "active": active_halts().select_related("lift_request"),
            "lifted": paged(
                request,
                Halt.objects.filter(Q(lifted_at__isnull=False) | Q(expires_at__lte=timezone.now())),
                "lifted-page",
                20,
            ),
            "decisions": decisions,
            "decided": MonitorRecord.objects.filter(kind=MonitorRecord.Kind.EVENT).count(),
            "rules": ThresholdRule.objects.select_related("asset"),
            "assets": Asset.objects.select_related("responsible"),
            "wallets": Wallet.objects.select_related("asset"),
            "can_manage": has_permission(request.user, "custody.manage"),
            "caps": cap.assess_all(),
            "prices": monitor.prices(),
            "charts": charts.outflow_charts(),
            "addresses": addresses,
        },
    )


@require_POST
@permission_required("custody.manage")
def lift_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for a halt to be lifted (two distinct authorised approvers)."""
    halt = get_object_or_404(Halt, pk=pk)
    try:
        approval = halts.request_lift(
            halt,
            request.user,  # type: ignore[arg-type]
            request.POST.get("reason", ""),
        )
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
    """Ask for a threshold to be added, its limit changed or it switched on or off: two
    people approve each, as they do a halt's lift; the whole set is checked first."""
    from mamori.custody.forms import LimitForm, ThresholdForm

    form, limit_form = ThresholdForm(), LimitForm()
    shown = None
    if request.method == "POST":
        if "toggle" in request.POST:
            return _switch(request, request.POST["toggle"])
        if "rule" in request.POST:
            limit_form = LimitForm(request.POST)
            if "preview" in request.POST:
                shown = _preview_limit(request, limit_form)
            elif _ask_limit(request, limit_form):
                return redirect("custody:thresholds")
        else:
            form = ThresholdForm(request.POST)
            if "preview" in request.POST:
                shown = _preview(form)
            elif _ask_threshold(request, form):
                return redirect("custody:thresholds")
    waiting = thresholds.pending_by_rule()
    asked = {
        str(r.snapshot.get("rule")): r
        for r in ApprovalRequest.objects.filter(
            kind=limits.LIMIT_KIND, status=ApprovalRequest.Status.PENDING
        )
    }
    created = ApprovalRequest.objects.filter(
        kind=limits.CREATE_KIND, status=ApprovalRequest.Status.PENDING
    ).order_by("pk")
    rules = ThresholdRule.objects.select_related("asset")
    return render(
        request,
        "custody/thresholds.html",
        {
            "form": form,
            "limit_form": limit_form,
            "rules": [(rule, waiting.get(rule.code), asked.get(rule.code)) for rule in rules],
            "created": created,
            "preview": shown,
            "days": preview.DAYS,
        },
    )


def _spec(data: dict[str, Any]) -> limits.ThresholdSpec:
    """Return the threshold of a valid form's data (pydantic's ValueError if it does not
    fit the snapshot's schema)."""
    return limits.ThresholdSpec(
        code=data["code"],
        direction=data["direction"],
        scope=data["scope"],
        level=data["level"],
        asset=data["asset"].code if data["asset"] else None,
        limit_units=_digits(data["limit_units"]),
        limit_jpy=_digits(data["limit_jpy"]),
        window=data["window_seconds"] or None,
        halt_scope=data["halt_scope"] or None,
        halt_expiry_minutes=data.get("halt_expiry_minutes") or None,
    )


def _preview(form: Any) -> preview.Preview | None:
    """Return what the threshold of ``form`` would have done over the last 30 days (its
    problems shown with the form instead)."""
    if not form.is_valid():
        return None
    try:
        spec = _spec(form.cleaned_data)
        limits.check_spec(spec)
        return preview.preview(spec)
    except ApprovalRefused as refused:
        form.add_error(None, refused.message)
    except ValueError as exc:  # outside the snapshot's schema (pydantic)
        form.add_error(None, str(exc))
    return None


def _preview_limit(request: HttpRequest, form: Any) -> preview.Preview | None:
    """Return what a threshold with the new limit of ``form`` would have done."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    rule = get_object_or_404(ThresholdRule.objects.select_related("asset"), pk=data["rule"])
    try:
        terms = {
            "limit_units": data["limit_units"] or None,
            "limit_jpy": _digits(data["limit_jpy"]),
        }
        spec = limits.ThresholdSpec.model_validate({**monitor.rule_data(rule), **terms})
        limits.check_spec(spec)
        return preview.preview(spec)
    except ApprovalRefused as refused:
        messages.error(request, refused.message)
    except ValueError as exc:
        messages.error(request, str(exc))
    return None


def _ask_threshold(request: HttpRequest, form: Any) -> bool:
    """Send the threshold of ``form`` for two approvals; say why if it is refused."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        spec = _spec(data)
        approval = limits.request_threshold(spec, request.user)  # type: ignore[arg-type]
    except ApprovalRefused as refused:
        form.add_error(None, refused.message)
        return False
    except ValueError as exc:  # outside the snapshot's schema (pydantic)
        form.add_error(None, str(exc))
        return False
    messages.success(
        request,
        _("Threshold %(code)s takes effect once two people approve: request #%(id)s was sent.")
        % {"code": spec.code, "id": approval.pk},
    )
    return True


def _ask_limit(request: HttpRequest, form: Any) -> bool:
    """Send the new limit of ``form`` for two approvals; say why if it is refused."""
    if not form.is_valid():
        return False
    data = form.cleaned_data
    rule = get_object_or_404(ThresholdRule, pk=data["rule"])
    try:
        terms = limits.LimitTerms(
            limit_units=data["limit_units"] or None, limit_jpy=_digits(data["limit_jpy"])
        )
        approval = limits.request_limit(rule, terms, request.user)  # type: ignore[arg-type]
    except ApprovalRefused as refused:
        messages.error(request, refused.message)
        return True
    except ValueError as exc:  # outside the snapshot's schema (pydantic)
        messages.error(request, str(exc))
        return True
    messages.success(
        request,
        _(
            "The new limit of %(code)s takes effect once two people approve: "
            "request #%(id)s was sent."
        )
        % {"code": rule.code, "id": approval.pk},
    )
    return True


def _digits(value: Decimal | str | None) -> str | None:
    """Return an amount as plain digits (no exponent), or None."""
    if value is None or value == "":
        return None
    return format(Decimal(value).normalize(), "f")


def _switch(request: HttpRequest, toggle: str) -> HttpResponse:
    """Ask for the threshold numbered ``toggle`` to be switched on or off."""
    number = record_number(toggle)
    if number is None:
        return HttpResponseBadRequest(
            _("The threshold to switch is given by its number; got %(value)s.")
            % {"value": toggle[:40]}
        )
    rule = get_object_or_404(ThresholdRule, pk=number)
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
