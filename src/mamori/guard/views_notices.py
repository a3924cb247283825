"""Pages of customer notices (SRM 10-6-3): write, send for approval, approve, update."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.errors import Refused
from mamori.core.tables import downloaded, listing
from mamori.guard.forms import NoticeForm, UpdateForm
from mamori.guard.lists import NoticeTable
from mamori.guard.models import Notice, NoticeUpdate
from mamori.guard.services import notices
from mamori.operations.models import Incident


@permission_required("guard.view")
def notices_view(request: HttpRequest) -> HttpResponse:
    """List the customer notices, drafts included."""
    found = listing(request, Notice.objects.select_related("incident"), NoticeTable)
    if download := downloaded(found):
        return download
    return render(
        request,
        "guard/notices.html",
        {"notices": found, "can_manage": has_permission(request.user, "guard.manage")},
    )


@permission_required("guard.manage")
def notice_new_view(request: HttpRequest) -> HttpResponse:
    """Write a notice (a draft until approved); ``?incident=<id>`` ties it to an incident."""
    pk = request.GET.get("incident", "")
    incident = get_object_or_404(Incident, pk=pk) if pk.isdigit() else None
    form = NoticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = notices.draft(
                kind=data["kind"],
                title_ja=data["title_ja"],
                title_en=data["title_en"],
                body_ja=data["body_ja"],
                body_en=data["body_en"],
                services=[(f, data["state"]) for f in data["services"]],
                by=request.user,  # type: ignore[arg-type]
                incident=incident,
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
            )
        except Refused as refused:
            form.add_error(None, refused.shown())
        else:
            messages.success(request, _("Draft saved: send it for approval."))
            return redirect("guard:notice", pk=made.pk)
    return render(request, "guard/notice_form.html", {"form": form, "incident": incident})


@permission_required("guard.view")
def notice_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a notice, its services and updates, who may approve it, and the actions."""
    notice = get_object_or_404(Notice.objects.select_related("incident", "author"), pk=pk)
    return render(
        request,
        "guard/notice.html",
        {
            "notice": notice,
            "services": notice.services.select_related("function"),
            "updates": notice.updates.select_related("author", "approved_by"),
            "approvers": notices.approvers(notice),
            "update_form": UpdateForm(),
            "can_manage": has_permission(request.user, "guard.manage"),
        },
    )


@require_POST
@permission_required("guard.manage")
def notice_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a draft for approval."""
    notice = get_object_or_404(Notice, pk=pk)
    try:
        notices.submit(notice, request.user)  # type: ignore[arg-type]
    except Refused as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(request, _("Sent for approval."))
    return redirect("guard:notice", pk=pk)


@require_POST
@permission_required("incidents.report")
def notice_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve and publish a notice or one of its updates (``update`` posted); the service
    says who may: the communications owner, else the CISO or system general manager."""
    notice = get_object_or_404(Notice, pk=pk)
    target: Notice | NoticeUpdate = notice
    update = request.POST.get("update", "")
    if update:
        if not update.isdigit():
            raise Http404("no such update")
        target = get_object_or_404(NoticeUpdate, pk=int(update), notice=notice)
    try:
        notices.approve(target, request.user)  # type: ignore[arg-type]
    except Refused as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(request, _("Approved and published on the status page."))
    return redirect("guard:notice", pk=pk)


@require_POST
@permission_required("guard.manage")
def notice_update_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Append an update (it waits for approval like the notice)."""
    notice = get_object_or_404(Notice, pk=pk)
    form = UpdateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the update in Japanese and English."))
        return redirect("guard:notice", pk=pk)
    try:
        notices.append_update(
            notice,
            form.cleaned_data["text_ja"],
            form.cleaned_data["text_en"],
            request.user,  # type: ignore[arg-type]
            resolves=form.cleaned_data["resolves"],
        )
    except Refused as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(request, _("Update written: it is published once approved."))
    return redirect("guard:notice", pk=pk)
