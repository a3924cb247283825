"""Read-only pages of one halt and one allowed address, each with its History from the audit
log (ISM 27-2, 27-3: who halted, who asked to lift and why, who approved)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.custody.models import AllowedAddress, Halt


@permission_required("custody.view")
def halt_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one halt: what it stops, the rule and event that caused it, its lift request (with
    the reason given) and its History; managers may ask for it to be lifted."""
    halt = get_object_or_404(Halt.objects.select_related("lift_request"), pk=pk)
    asked = halt.lift_request
    return render(
        request,
        "custody/halt.html",
        {
            "halt": halt,
            "reason": asked.snapshot.get("reason", "") if asked is not None else "",
            "can_lift": has_permission(request.user, "custody.manage")
            and halt.is_active()
            and (asked is None or asked.status != "pending"),
        },
    )


@permission_required("custody.view")
def address_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one withdrawal address registration and its History."""
    address = get_object_or_404(AllowedAddress.objects.select_related("asset", "approval"), pk=pk)
    return render(request, "custody/address.html", {"address": address})
