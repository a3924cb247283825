"""Incident pages: report in two fields, the register, one incident and its forms
(SRM 6-1-3, 7-3, 9; ISM 8-1-3, 9-3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.auditlog.links import url_of
from mamori.core.errors import Refused
from mamori.core.tables import downloaded, listing
from mamori.operations import forms
from mamori.operations.lists import IncidentTable
from mamori.operations.models import Incident
from mamori.operations.panels import panels_for
from mamori.operations.services import incidents

__all__ = ["incident_action_view", "incident_view", "incidents_view", "report_view"]


@permission_required("incidents.report")
def report_view(request: HttpRequest) -> HttpResponse:
    """Report an incident: what happened and where; the kind if known (SRM 7-3, ISM 9-3)."""
    form = forms.ReportForm(request.POST or None)
    refused = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = incidents.report(
                data["title"],
                data["location"],
                request.user,  # type: ignore[arg-type]
                kind=data["kind"] or Incident.Kind.OTHER,
            )
        except Refused as exc:
            refused = exc.shown()
        else:
            if incident.commander is not None:
                said = _("%(reference)s reported. %(name)s commands it.") % {
                    "reference": incident.reference,
                    "name": incidents.shown_name(incident.commander),
                }
            else:
                said = _(
                    "%(reference)s reported. Nobody holds the role that commands it: "
                    "an incident manager must hand the command to someone."
                ) % {"reference": incident.reference}
            messages.success(request, said)
            if not has_permission(request.user, "incidents.view"):
                return redirect("core:dashboard")
            return redirect("operations:incident", reference=incident.reference)
    return render(request, "operations/report.html", {"form": form, "refused": refused})


@permission_required("incidents.view")
def incidents_view(request: HttpRequest) -> HttpResponse:
    """The incident register: filtered, sorted, paged, downloadable."""
    rows = Incident.objects.select_related("commander")
    found = listing(request, rows, IncidentTable)
    if download := downloaded(found):
        return download
    return render(
        request,
        "operations/incidents.html",
        {"incidents": found, "can_manage": has_permission(request.user, "incidents.manage")},
    )


FORMS: dict[str, type[django_forms.Form]] = {
    "status": forms.StatusForm,
    "commander": forms.CommanderForm,
    "role": forms.RoleForm,
    "facts": forms.FactsForm,
    "note": forms.NoteForm,
    "link": forms.LinkForm,
}


def _find(reference: str) -> Incident:
    if reference.isdigit():
        return get_object_or_404(Incident, pk=int(reference))
    return get_object_or_404(Incident, reference=reference)


def _facts_initial(incident: Incident) -> dict[str, Any]:
    return {
        "customers_affected": incident.customers_affected,
        "assets_at_risk_jpy": incident.assets_at_risk_jpy,
        "outage_minutes": incident.outage_minutes,
        "records_affected": incident.records_affected,
        "personal_data": incident.personal_data,
        "unauthorised_access": incident.unauthorised_access,
    }


def _page(
    request: HttpRequest,
    incident: Incident,
    bound: dict[str, django_forms.Form] | None = None,
    refused: str | None = None,
    status: int = 200,
) -> HttpResponse:
    initial: dict[str, dict[str, Any]] = {
        "status": {"status": incident.status},
        "commander": {"person": incident.commander.get_username() if incident.commander else None},
        "facts": _facts_initial(incident),
    }
    shown = {
        name: (bound or {}).get(name) or form_class(initial=initial.get(name), prefix=name)
        for name, form_class in FORMS.items()
    }
    links = [(link, _link_url(link)) for link in incident.links.all()]
    context = {
        "incident": incident,
        "roles": incident.roles.select_related("person"),
        "links": links,
        "timeline": incident.timeline.select_related("by"),
        "forms": shown,
        "refused": refused,
        "can_manage": has_permission(request.user, "incidents.manage"),
        "incident_panels": panels_for(request, incident),
    }
    return render(request, "operations/incident.html", context, status=status)


@permission_required("incidents.view")
def incident_view(request: HttpRequest, reference: str) -> HttpResponse:
    """One incident: facts, severity and its rule, commander, roles, links, the timeline,
    and the forms that run it."""
    return _page(request, _find(reference))


def _apply(name: str, incident: Incident, data: dict[str, Any], by: Any) -> str:
    """Run the change ``name`` with the form's ``data``; return what to tell the person."""
    actions: dict[str, Callable[[], Any]] = {
        "status": lambda: incidents.change_status(incident, data["status"], by, data["note"]),
        "commander": lambda: incidents.set_commander(incident, data["person"], by),
        "role": lambda: incidents.assign_role(incident, data["role"], data["person"], by),
        "facts": lambda: incidents.update_facts(incident, data, by),
        "note": lambda: incidents.add_note(incident, data["text"], by),
        "link": lambda: incidents.add_link(
            incident, data["object_type"], data["object_key"], data["label"], by
        ),
    }
    actions[name]()
    return {
        "status": _("The status was changed."),
        "commander": _("The command was handed over."),
        "role": _("The role was assigned."),
        "facts": _("The impact was updated and the severity regraded."),
        "note": _("The note was added to the timeline."),
        "link": _("The record was linked."),
    }[name]


@require_POST
@permission_required("incidents.manage")
def incident_action_view(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    """Change the incident by one of its forms; a refusal is shown on the page."""
    incident = _find(reference)
    if action not in FORMS:
        return _page(request, incident, refused=_("Unknown change."), status=404)
    form = FORMS[action](request.POST, prefix=action)
    if not form.is_valid():
        return _page(request, incident, {action: form}, _("Check the form."), status=422)
    try:
        said = _apply(action, incident, form.cleaned_data, request.user)
    except Refused as exc:
        incident.refresh_from_db()
        return _page(request, incident, {action: form}, exc.shown(), status=exc.status)
    messages.success(request, said)
    return redirect("operations:incident", reference=incident.reference)


def _link_url(link: Any) -> str | None:
    """Return the page of a linked record; a key that names no record of its type gives none
    (one link typed by hand never breaks the incident's page)."""
    try:
        return url_of(link.object_type, link.object_key)
    except (ValueError, TypeError, LookupError):
        return None
