"""Pages of the systems register and the development plan (SRM 4-6, 7-2, 11-2, 12)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mamori.accounts.services.approvals import ApprovalRefused
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.errors import Refused
from mamori.core.tables import downloaded, listing
from mamori.operations.forms_changes import DevPlanVersionForm, SystemForm
from mamori.operations.lists_changes import SystemTable
from mamori.operations.models import DevelopmentPlan, DevPlanVersion, System
from mamori.operations.services import changes, devplans


@permission_required("changes.view")
def systems_view(request: HttpRequest) -> HttpResponse:
    """The systems register: filter, sort, download."""
    found = listing(
        request, System.objects.select_related("department", "system_manager"), SystemTable
    )
    if download := downloaded(found):
        return download
    return render(
        request,
        "operations/changes/systems.html",
        {"systems": found, "can_manage": has_permission(request.user, "systems.manage")},
    )


@permission_required("systems.manage")
def system_add_view(request: HttpRequest) -> HttpResponse:
    """Add a system to the register."""
    form = SystemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        system = form.save()
        messages.success(request, _("System %(code)s added.") % {"code": system.code})
        return redirect("operations:system", code=system.code)
    return render(request, "operations/changes/system_form.html", {"form": form, "system": None})


@permission_required("changes.view")
def system_view(request: HttpRequest, code: str) -> HttpResponse:
    """A system: its owner, manager, criticality and the changes that touched it."""
    system = get_object_or_404(
        System.objects.select_related("department", "system_manager"), code=code
    )
    return render(
        request,
        "operations/changes/system.html",
        {
            "system": system,
            "changes": [
                (c, changes.stage_label(c.stage))
                for c in system.changes.order_by("-created_at").select_related("responsible")
            ],
            "can_manage": has_permission(request.user, "systems.manage"),
        },
    )


@permission_required("systems.manage")
def system_edit_view(request: HttpRequest, code: str) -> HttpResponse:
    """Edit a system of the register."""
    system = get_object_or_404(System, code=code)
    form = SystemForm(request.POST or None, instance=system)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("System %(code)s saved.") % {"code": system.code})
        return redirect("operations:system", code=system.code)
    return render(request, "operations/changes/system_form.html", {"form": form, "system": system})


class _PlanForm(forms.Form):
    # labels lazy: the class is made once, at import, in whatever language is active then
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=50)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)


@permission_required("changes.view")
def devplans_view(request: HttpRequest) -> HttpResponse:
    """The development plans with their current version; a new plan (devplan.manage)."""
    can_manage = has_permission(request.user, "devplan.manage")
    form = _PlanForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("devplan.manage")
        if form.is_valid():
            plan, _created = DevelopmentPlan.objects.get_or_create(
                code=form.cleaned_data["code"], defaults={"title": form.cleaned_data["title"]}
            )
            return redirect("operations:devplan", code=plan.code)
    rows = [(plan, devplans.current(plan)) for plan in DevelopmentPlan.objects.all()]
    return render(
        request,
        "operations/changes/devplans.html",
        {"rows": rows, "form": form, "can_manage": can_manage},
    )


@permission_required("changes.view")
def devplan_view(request: HttpRequest, code: str) -> HttpResponse:
    """A development plan: its current version, every version with what changed from the one
    before, a new version (devplan.manage)."""
    plan = get_object_or_404(DevelopmentPlan, code=code)
    can_manage = has_permission(request.user, "devplan.manage")
    current = devplans.current(plan)
    form = None
    if can_manage:
        latest = plan.versions.order_by("-number").first()
        initial = {}
        if latest is not None:
            initial = {
                "starts_on": latest.starts_on,
                "ends_on": latest.ends_on,
                "strategy": latest.strategy,
                "strategy_url": latest.strategy_url,
                "projects": devplans.project_lines(latest),
            }
        form = DevPlanVersionForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                version = devplans.save_version(
                    plan,
                    request.user,  # type: ignore[arg-type]
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    strategy=data["strategy"],
                    strategy_url=data["strategy_url"],
                    projects=devplans.parse_projects(data["projects"]),
                )
            except Refused as refused:
                form.add_error(None, refused.shown())
            else:
                messages.success(
                    request, _("Version %(number)s drafted.") % {"number": version.number}
                )
                return redirect("operations:devplan", code=plan.code)
    elif request.method == "POST":
        raise PermissionDenied("devplan.manage")
    versions = [
        (v, devplans.diff(v), v.projects.select_related("responsible", "system"))
        for v in plan.versions.select_related("created_by", "approval")
    ]
    return render(
        request,
        "operations/changes/devplan.html",
        {
            "plan": plan,
            "current": current,
            "versions": versions,
            "form": form,
            "can_manage": can_manage,
        },
    )


@require_POST
@permission_required("devplan.manage")
def devplan_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a draft version to the committee and then the board."""
    version = get_object_or_404(DevPlanVersion.objects.select_related("plan"), pk=pk)
    try:
        approval = devplans.submit(version, request.user)  # type: ignore[arg-type]
    except (Refused, ApprovalRefused) as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(request, _("Sent for approval (request %(id)s).") % {"id": approval.pk})
    return redirect("operations:devplan", code=version.plan.code)
