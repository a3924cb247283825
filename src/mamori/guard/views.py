"""Pages of containment (SRM 10-2): the kill switch, the block list, actions per incident."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.approvals import ApprovalRefused
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.errors import Refused
from mamori.core.tables import downloaded, listing
from mamori.guard.forms import BlockForm, HaltForm, ReasonForm, StopForm
from mamori.guard.lists import ActionTable, BlockTable
from mamori.guard.models import BlockedSource, ContainmentAction, Function
from mamori.guard.services import blocks, containment, functions
from mamori.operations.models import Incident


def _incident(request: HttpRequest) -> Incident | None:
    pk = request.POST.get("incident") or request.GET.get("incident")
    return get_object_or_404(Incident, pk=pk) if pk and str(pk).isdigit() else None


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    incident = request.POST.get("incident", "")
    if incident.isdigit():
        return redirect("guard:incident", pk=int(incident))
    return redirect(fallback)


def incident_url(incident: Incident) -> str:
    """Return the incident's page (operations), or guard's page of it when none exists."""
    try:
        return reverse("operations:incident", args=[incident.pk])
    except NoReverseMatch:
        return reverse("guard:incident", args=[incident.pk])


@permission_required("guard.view")
def index_view(request: HttpRequest) -> HttpResponse:
    """Show the kill switch (each function's state) and the latest containment actions."""
    actions = listing(
        request, ContainmentAction.objects.select_related("incident", "by"), ActionTable
    )
    if download := downloaded(actions):
        return download
    return render(
        request,
        "guard/index.html",
        {
            "functions": Function.objects.select_related("restore_request", "incident"),
            "actions": actions,
            "stop_form": StopForm(),
            "can_manage": has_permission(request.user, "guard.manage"),
        },
    )


@permission_required("guard.view")
def blocks_view(request: HttpRequest) -> HttpResponse:
    """List the blocked sources; add several at once (all or none)."""
    found = listing(request, BlockedSource.objects.select_related("incident", "by"), BlockTable)
    if download := downloaded(found):
        return download
    return render(
        request,
        "guard/blocks.html",
        {
            "blocks": found,
            "active": blocks.active().order_by("network"),
            "form": BlockForm(),
            "can_manage": has_permission(request.user, "guard.manage"),
        },
    )


@require_POST
@permission_required("guard.manage")
def block_add_view(request: HttpRequest) -> HttpResponse:
    """Block the posted rows, or none of them, naming every bad row."""
    form = BlockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the addresses to block."))
        return _back(request, "guard:blocks")
    try:
        made = blocks.block(
            blocks.parse_lines(form.cleaned_data["rows"]),
            form.cleaned_data["reason"],
            request.user,  # type: ignore[arg-type]
            incident=_incident(request),
            expires_at=form.cleaned_data["expires_at"],
        )
    except Refused as refused:
        messages.error(request, refused.shown())
        for field in refused.fields:
            messages.error(request, field.message)
    else:
        messages.success(request, _("%(count)s source(s) blocked.") % {"count": len(made)})
    return _back(request, "guard:blocks")


@require_POST
@permission_required("guard.manage")
def block_lift_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Lift a block, saying why."""
    blocked = get_object_or_404(BlockedSource, pk=pk)
    form = ReasonForm(request.POST)
    try:
        blocks.lift(blocked, request.user, form.data.get("reason", ""))  # type: ignore[arg-type]
    except Refused as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(request, _("Block lifted."))
    return redirect("guard:blocks")


@require_POST
@permission_required("guard.manage")
def function_stop_view(request: HttpRequest) -> HttpResponse:
    """Turn a function off or degrade it now."""
    form = StopForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the function and the state, and say why."))
        return _back(request, "guard:index")
    try:
        functions.stop(
            form.cleaned_data["function"],
            form.cleaned_data["state"],
            request.user,  # type: ignore[arg-type]
            form.cleaned_data["reason"],
            incident=_incident(request),
        )
    except Refused as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(request, _("Recorded."))
    return _back(request, "guard:index")


@require_POST
@permission_required("guard.manage")
def function_restore_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for a function to be switched back on (two others approve)."""
    function = get_object_or_404(Function, pk=pk)
    try:
        asked = functions.request_restore(
            function,
            request.user,  # type: ignore[arg-type]
            request.POST.get("reason", ""),
        )
    except (Refused, ApprovalRefused) as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(
            request,
            _("Sent for approval as request #%(id)s; it is switched on once approved.")
            % {"id": asked.pk},
        )
    return redirect("guard:index")


@require_POST
@permission_required("guard.manage")
def halt_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Halt an asset's withdrawals for the incident, through the custody monitor."""
    incident = get_object_or_404(Incident, pk=pk)
    form = HaltForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Name the asset and say why."))
        return redirect("guard:incident", pk=pk)
    try:
        halt, _action = containment.halt_withdrawals(
            form.cleaned_data["asset"].strip().upper(),
            request.user,  # type: ignore[arg-type]
            form.cleaned_data["reason"],
            incident,
        )
    except Refused as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(
            request,
            _("Withdrawals halted (%(halt)s); lifting needs two approvals.")
            % {"halt": halt.halt_id},
        )
    return redirect("guard:incident", pk=pk)


def panel_context(request: HttpRequest, incident: Incident) -> dict[str, Any] | None:
    """Return what the incident page's containment panel shows (None: not for this person)."""
    if not has_permission(request.user, "guard.view"):
        return None
    return {
        "incident": incident,
        "actions": [
            {"action": a, "summary": a.summary(get_language() or "ja")}
            for a in ContainmentAction.objects.filter(incident=incident).select_related("by")
        ],
        "contain_url": reverse("guard:incident", args=[incident.pk]),
    }


@permission_required("guard.view")
def incident_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Contain an incident: halt withdrawals, block sources, stop functions; its actions."""
    incident = get_object_or_404(Incident, pk=pk)
    actions = listing(
        request,
        ContainmentAction.objects.filter(incident=incident).select_related("incident", "by"),
        ActionTable,
    )
    if download := downloaded(actions):
        return download
    return render(
        request,
        "guard/incident.html",
        {
            "incident": incident,
            "incident_url": incident_url(incident),
            "actions": actions,
            "halt_form": HaltForm(),
            "block_form": BlockForm(),
            "stop_form": StopForm(),
            "can_manage": has_permission(request.user, "guard.manage"),
        },
    )
