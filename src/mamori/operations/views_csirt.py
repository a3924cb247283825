"""Pages of the CSIRT (SRM 9-3-3 to 9-3-5): roster (contacts masked), who is on call now, the
rotation, external contacts and the intake of shared threat information."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.auditlog.services import record_read
from mamori.core.errors import Refused
from mamori.core.tables import downloaded, listing
from mamori.operations.forms_bcp import ContactForm, IntelForm, MemberForm
from mamori.operations.lists_bcp import ContactTable, IntelTable, MemberTable
from mamori.operations.models import CsirtMember, ExternalContact, OnCallRotation, ThreatIntel
from mamori.operations.services import csirt


@permission_required("incidents.view")
def csirt_view(request: HttpRequest) -> HttpResponse:
    """The roster, who is on call now and in the coming weeks, contacts, threat information."""
    members = listing(
        request, CsirtMember.objects.select_related("person"), MemberTable, prefix="m-"
    )
    contacts = listing(request, ExternalContact.objects.all(), ContactTable, prefix="c-")
    intel = listing(
        request, ThreatIntel.objects.select_related("catalogue_entry"), IntelTable, prefix="t-"
    )
    if download := downloaded(members, contacts, intel):
        return download
    rotation = OnCallRotation.objects.order_by("pk").first()
    today = timezone.localdate()
    coming = []
    if rotation is not None:
        monday = today - timedelta(days=(today - rotation.starts_on).days % 7)
        for week in range(len(csirt.rotation())):
            start = monday + timedelta(weeks=week)
            coming.append((start, csirt.on_call(start)))
    can_manage = has_permission(request.user, "incidents.manage")
    return render(
        request,
        "operations/csirt.html",
        {
            "members": members,
            "contacts": contacts,
            "intel": intel,
            "rotation": rotation,
            "on_call": csirt.on_call(today),
            "coming": coming,
            "can_manage": can_manage,
            "member_form": MemberForm() if can_manage else None,
            "contact_form": ContactForm() if can_manage else None,
            "intel_form": IntelForm() if can_manage else None,
        },
    )


@permission_required("incidents.view")
def member_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A member's entry with the full phone and email (the read is recorded)."""
    member = get_object_or_404(CsirtMember.objects.select_related("person"), pk=pk)
    record_read(member, ["phone", "email"], "CSIRT contact")
    return render(request, "operations/csirt_member.html", {"member": member})


@require_POST
@permission_required("incidents.manage")
def csirt_act_view(request: HttpRequest, what: str) -> HttpResponse:
    """Add a member or an external contact, set the rotation's start, take threat information."""
    try:
        if what == "member":
            form = MemberForm(request.POST)
            if not form.is_valid():
                raise csirt.CsirtRefused("bad_member", _("Check the member's fields."))
            data = form.cleaned_data
            csirt.add_member(
                data["person"],
                data["role"],
                data["phone"],
                data["email"],
                data["rotation_position"],
            )
        elif what == "contact":
            contact = ContactForm(request.POST)
            if not contact.is_valid():
                raise csirt.CsirtRefused("bad_contact", _("Check the contact's fields."))
            data = contact.cleaned_data
            csirt.add_contact(data["name"], data["kind"], data["purpose"], data["contact"])
        elif what == "rotation":
            try:
                starts = date.fromisoformat(request.POST.get("starts_on", ""))
            except ValueError:
                raise csirt.CsirtRefused(
                    "bad_date", _("Give the date the rotation starts.")
                ) from None
            csirt.set_rotation(starts)
        elif what == "intel":
            intel = IntelForm(request.POST)
            if not intel.is_valid():
                raise csirt.CsirtRefused(
                    "intel_incomplete",
                    _("Say where the information came from, its title and a summary."),
                )
            data = intel.cleaned_data
            csirt.take_threat_intel(
                data["source"],
                data["title"],
                data["summary"],
                data["received_on"],
                request.user,  # type: ignore[arg-type]
            )
        else:
            raise Http404("no such action")
    except Refused as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(request, _("Saved."))
    return redirect("operations:csirt")
