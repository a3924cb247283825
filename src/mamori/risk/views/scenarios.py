"""One risk scenario: ratings and their history, treatment recommended and decided, actions,
rationale versions, monitoring links (ISM 15–18, 12-3)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.models import User
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.paging import paged
from mamori.engines.risk import Rating
from mamori.risk import forms
from mamori.risk.models import MonitoringLink, RiskScenario, Treatment
from mamori.risk.models.scenarios import STAGES
from mamori.risk.services import RiskRefused, scenarios
from mamori.risk.services.inventory import scenario_refused

__all__ = ["scenario_action_view", "scenario_view"]


def _scenario(pk: int) -> RiskScenario:
    return get_object_or_404(
        RiskScenario.objects.select_related("assessment__matrix", "owner", "threat"), pk=pk
    )


@permission_required("risk.view")
def scenario_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one risk and the forms its people may use."""
    scenario = _scenario(pk)
    matrix = scenario.assessment.matrix.matrix()
    treatment = Treatment.objects.filter(scenario=scenario).first()
    user: User = request.user  # type: ignore[assignment]
    levels = [
        (stage, scenario.rating(stage), scenario.rating(stage).level(matrix)) for stage in STAGES
    ]
    return render(
        request,
        "risk/scenario.html",
        {
            "scenario": scenario,
            "matrix": matrix,
            "levels": levels,
            "treatment": treatment,
            "actions": treatment.actions.select_related("owner") if treatment else [],
            "rationales": treatment.rationales.select_related("author") if treatment else [],
            "changes": paged(request, scenario.changes.select_related("actor"), "changes-page"),
            "links": scenario.links.all(),
            "is_owner": user.pk == scenario.owner_id,
            "can_manage": has_permission(user, "risk.manage"),
            "rate_form": forms.RateForm(),
            "recommend_form": forms.RecommendForm(),
            "decide_form": forms.DecideForm(),
            "action_form": forms.ActionForm(),
            "rationale_form": forms.RationaleForm(),
            "link_form": forms.LinkForm(),
            "review_form": forms.ReviewForm(),
        },
    )


def _rate(scenario: RiskScenario, data: dict, user: User) -> str:  # type: ignore[type-arg]
    scenarios.rate(
        scenario, data["stage"], Rating(data["likelihood"], data["impact"]), data["reason"], user
    )
    return _("Rating changed and recorded.")


def _recommend(scenario: RiskScenario, data: dict, user: User) -> str:  # type: ignore[type-arg]
    scenarios.recommend(
        scenario,
        data["option"],
        data["recommendation"],
        data["controls"],
        data["new_controls"],
        user,
    )
    return _("Recommendation recorded; the risk owner decides.")


def _decide(scenario: RiskScenario, data: dict, user: User) -> str:  # type: ignore[type-arg]
    scenarios.decide(
        scenario,
        data["option"],
        Rating(data["residual_likelihood"], data["residual_impact"]),
        data["rationale"],
        user,
    )
    return _("Treatment decided.")


def _treatment(scenario: RiskScenario) -> Treatment:
    treatment = Treatment.objects.filter(scenario=scenario).first()
    if treatment is None:
        raise RiskRefused("no_recommendation", "the security team has not recommended yet")
    return treatment


def _action(scenario: RiskScenario, data: dict, user: User) -> str:  # type: ignore[type-arg]
    scenarios.add_action(
        _treatment(scenario), data["text"], data["owner"], data["due"], data["budget"], user
    )
    return _("Action added.")


def _rationale(scenario: RiskScenario, data: dict, user: User) -> str:  # type: ignore[type-arg]
    number = scenarios.add_rationale(_treatment(scenario), data["text"], user).number
    return _("Rationale version %(n)s saved.") % {"n": number}


def _link(scenario: RiskScenario, data: dict, user: User) -> str:  # type: ignore[type-arg]
    MonitoringLink.objects.update_or_create(
        scenario=scenario,
        kind=data["kind"],
        defaults={"effect": data["effect"], "steps": data["steps"]},
    )
    return _("Monitoring link saved.")


def _review(scenario: RiskScenario, data: dict, user: User) -> str:  # type: ignore[type-arg]
    scenarios.review(scenario, user, data["note"])
    return _("Review recorded.")


# what, its form, who may (owner / manage)
ACTIONS: dict[str, tuple[type[Form], str, Callable[..., str]]] = {
    "rate": (forms.RateForm, "manage", _rate),
    "recommend": (forms.RecommendForm, "manage", _recommend),
    "decide": (forms.DecideForm, "owner", _decide),
    "action": (forms.ActionForm, "manage", _action),
    "rationale": (forms.RationaleForm, "owner_or_manage", _rationale),
    "link": (forms.LinkForm, "manage", _link),
    "review": (forms.ReviewForm, "owner_or_manage", _review),
}


@require_POST
@permission_required("risk.view")
def scenario_action_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Do one thing to a risk; every refusal says why and changes nothing."""
    scenario = _scenario(pk)
    user: User = request.user  # type: ignore[assignment]
    if action not in ACTIONS:
        messages.error(request, _("Unknown action."))
        return redirect("risk:scenario", pk=pk)
    form_class, who, do = ACTIONS[action]
    is_owner = user.pk == scenario.owner_id
    manager = has_permission(user, "risk.manage") and not scenario_refused(
        user, scenario.assets.select_related("custodian", "owner__department")
    )
    allowed = {"owner": is_owner, "manage": manager, "owner_or_manage": is_owner or manager}[who]
    if not allowed:
        messages.error(
            request,
            _("Only the risk owner %(owner)s may do this.") % {"owner": scenario.owner.username}
            if who == "owner"
            else _("Your roles do not allow this."),
        )
        return redirect("risk:scenario", pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
        messages.error(request, _("Not saved: %(errors)s") % {"errors": errors})
        return redirect("risk:scenario", pk=pk)
    try:
        messages.success(request, do(scenario, form.cleaned_data, user))
    except RiskRefused as refused:
        messages.error(request, _("Refused: %(reason)s") % {"reason": refused.shown()})
    return redirect("risk:scenario", pk=pk)
