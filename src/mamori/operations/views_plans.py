"""Pages of the contingency plans and their drills (SRM 5-2, ISM 3, ISM 30-3)."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.approvals import ApprovalRefused
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.errors import Refused
from mamori.core.tables import downloaded, listing
from mamori.operations.forms_bcp import ActionForm, DrillForm, FindingsForm, VersionForm
from mamori.operations.lists_bcp import ActionTable, DrillTable
from mamori.operations.models import ContingencyPlan, PlanDrill, PlanVersion
from mamori.operations.services import drills, plans, reviews


def _scenario(scenario: str) -> str:
    if scenario not in ContingencyPlan.Scenario.values:
        raise Http404("no such scenario")
    return scenario


@permission_required("incidents.view")
def plans_view(request: HttpRequest) -> HttpResponse:
    """The five scenarios' plans: current version, next review, review flag."""
    rows = []
    today = timezone.localdate()
    for scenario, label in ContingencyPlan.Scenario.choices:
        plan = ContingencyPlan.objects.filter(scenario=scenario).first()
        overdue = plan is not None and plans.review_overdue(plan, today)
        rows.append((scenario, label, plan, plans.current(scenario), overdue))
    return render(
        request,
        "operations/plans.html",
        {"rows": rows, "can_manage": has_permission(request.user, "plans.manage")},
    )


@permission_required("incidents.view")
def plan_view(request: HttpRequest, scenario: str) -> HttpResponse:
    """One scenario's plan: its current version, the versions, a new version (plans.manage)."""
    scenario = _scenario(scenario)
    can_manage = has_permission(request.user, "plans.manage")
    form = None
    if can_manage:
        current = plans.current(scenario)
        initial = {}
        if current is not None:
            initial = {
                "text": current.text,
                "steps": "\n".join(f"{s['minutes']} | {s['title']}" for s in current.steps),
                "contacts": "\n".join(
                    f"{c['caller']} -> {c['callee']} | {c['phone']}" for c in current.contacts
                ),
                "representative_director": current.representative_director_id,
                "representative_director_role": current.representative_director_role,
                "system_general_manager": current.system_general_manager_id,
                "system_general_manager_role": current.system_general_manager_role,
            }
        form = VersionForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                version = plans.save_version(
                    scenario,
                    request.user,  # type: ignore[arg-type]
                    text=data["text"],
                    steps=plans.parse_steps(data["steps"]),
                    contacts=plans.parse_contacts(data["contacts"]),
                    representative_director=data["representative_director"],
                    representative_director_role=data["representative_director_role"],
                    system_general_manager=data["system_general_manager"],
                    system_general_manager_role=data["system_general_manager_role"],
                )
            except Refused as refused:
                form.add_error(None, refused.shown())
            else:
                messages.success(
                    request, _("Version %(number)s drafted.") % {"number": version.number}
                )
                return redirect("operations:plan", scenario=scenario)
    elif request.method == "POST":
        raise PermissionDenied("plans.manage")
    plan = ContingencyPlan.objects.filter(scenario=scenario).first()
    return render(
        request,
        "operations/plan.html",
        {
            "scenario": scenario,
            "label": ContingencyPlan.Scenario(scenario).label,
            "plan": plan,
            "current": plans.current(scenario),
            "versions": PlanVersion.objects.filter(plan__scenario=scenario).select_related(
                "created_by", "approval"
            ),
            "form": form,
            "can_manage": can_manage,
        },
    )


@require_POST
@permission_required("plans.manage")
def version_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a draft version for approval."""
    version = get_object_or_404(PlanVersion.objects.select_related("plan"), pk=pk)
    try:
        approval = plans.submit(version, request.user)  # type: ignore[arg-type]
    except (Refused, ApprovalRefused) as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(request, _("Sent for approval (request %(id)s).") % {"id": approval.pk})
    return redirect("operations:plan", scenario=version.plan.scenario)


@permission_required("incidents.view")
def drills_view(request: HttpRequest) -> HttpResponse:
    """The drills, and scheduling one (plans.manage)."""
    can_manage = has_permission(request.user, "plans.manage")
    form = DrillForm(request.POST or None) if can_manage else None
    if form is not None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            drill = drills.schedule(
                data["scenario"],
                data["scheduled_for"],
                data["leaders"],
                data["participants"],
                request.user,  # type: ignore[arg-type]
            )
        except Refused as refused:
            form.add_error(None, refused.shown())
        else:
            messages.success(request, _("Drill scheduled."))
            return redirect("operations:drill", pk=drill.pk)
    found = listing(
        request,
        PlanDrill.objects.select_related("plan", "incident").prefetch_related("commands__leader"),
        DrillTable,
    )
    if download := downloaded(found):
        return download
    return render(request, "operations/drills.html", {"drills": found, "form": form})


@permission_required("incidents.view")
def drill_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A drill: its leaders, the incident it opened, each step's times, findings, actions."""
    drill = get_object_or_404(
        PlanDrill.objects.select_related("plan", "version", "incident", "leak_drill"), pk=pk
    )
    steps = [
        {
            **entry,
            "started_at": _moment(entry.get("started_at")),
            "finished_at": _moment(entry.get("finished_at")),
            "minutes": drills.minutes(entry),
            "index": number,
        }
        for number, entry in enumerate(drill.step_times)
    ]
    actions = listing(request, drill.actions.select_related("owner"), ActionTable)
    if download := downloaded(actions):
        return download
    return render(
        request,
        "operations/drill.html",
        {
            "drill": drill,
            "steps": steps,
            "leaders": drill.leaders.order_by("username"),
            "participants": drill.participants.order_by("username"),
            "commands": drill.commands.select_related("leader"),
            "actions": actions,
            "can_manage": has_permission(request.user, "plans.manage"),
            "findings_form": FindingsForm(),
            "action_form": ActionForm(),
        },
    )


@require_POST
@permission_required("plans.manage")
def drill_act_view(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    """Start a drill, take its command, time a step, add an action or finish it."""
    drill = get_object_or_404(PlanDrill.objects.select_related("plan", "incident"), pk=pk)
    user = request.user
    try:
        if what == "start":
            drills.start(drill, user)  # type: ignore[arg-type]
        elif what == "command":
            drills.take_command(drill, user)  # type: ignore[arg-type]
        elif what in ("started", "finished"):
            drills.step(drill, int(request.POST.get("step", "-1")), what, user)  # type: ignore[arg-type]
        elif what == "action":
            form = ActionForm(request.POST)
            if not form.is_valid():
                raise drills.DrillRefused(
                    "bad_action", _("Give the action, its owner and due date.")
                )
            reviews.add_action(
                form.cleaned_data["title"],
                form.cleaned_data["owner"],
                form.cleaned_data["due_on"],
                user,  # type: ignore[arg-type]
                drill=drill,
            )
        elif what == "finish":
            drills.finish(drill, request.POST.get("findings", ""), user)  # type: ignore[arg-type]
        else:
            raise Http404("no such action")
    except Refused as refused:
        messages.error(request, refused.shown())
    except ValueError:
        messages.error(request, _("No such step."))
    return redirect("operations:drill", pk=drill.pk)


def _moment(value: object) -> datetime | None:
    """Read a step time kept as ISO 8601 text back as a datetime (shown in local time)."""
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None
