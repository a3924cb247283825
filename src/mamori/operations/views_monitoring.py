"""Pages of operating-status monitoring (SRM 21-1): the services with their state, one service
with its state timeline, recent alerts, alert rules, probes and heartbeats, and the alerts."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.tables import downloaded, listing
from mamori.operations.forms_monitoring import (
    AlertRuleForm,
    HeartbeatForm,
    ProbeForm,
    ServiceForm,
)
from mamori.operations.lists_monitoring import (
    AlertTable,
    ServiceStateTable,
    ServiceTable,
    states_of,
)
from mamori.operations.models import Alert, MonitoredService

VIEW = "monitoring.view"
MANAGE = "monitoring.manage"

#: What may be added to a service on its page, with the form that adds it.
PARTS: dict[str, type[forms.ModelForm]] = {  # type: ignore[type-arg]
    "rule": AlertRuleForm,
    "probe": ProbeForm,
    "heartbeat": HeartbeatForm,
}


@permission_required(VIEW)
def services_view(request: HttpRequest) -> HttpResponse:
    """The monitored services with their state and since when: filter, sort, download."""
    found = listing(request, MonitoredService.objects.select_related("system"), ServiceTable)
    if download := downloaded(found):
        return download
    return render(
        request,
        "operations/monitoring/services.html",
        {"services": found, "can_manage": has_permission(request.user, MANAGE)},
    )


@permission_required(MANAGE)
def service_add_view(request: HttpRequest) -> HttpResponse:
    """Add a monitored service."""
    form = ServiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        service = form.save()
        messages.success(request, _("Service %(code)s added.") % {"code": service.code})
        return redirect("operations:monitored_service", code=service.code)
    return render(request, "operations/monitoring/form.html", {"form": form, "service": None})


@permission_required(MANAGE)
def service_edit_view(request: HttpRequest, code: str) -> HttpResponse:
    """Edit a monitored service."""
    service = get_object_or_404(MonitoredService, code=code)
    form = ServiceForm(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Service %(code)s saved.") % {"code": service.code})
        return redirect("operations:monitored_service", code=service.code)
    return render(request, "operations/monitoring/form.html", {"form": form, "service": service})


@permission_required(VIEW)
def service_view(request: HttpRequest, code: str) -> HttpResponse:
    """A service: its state timeline, recent alerts, rules, probes and heartbeats."""
    service = get_object_or_404(
        MonitoredService.objects.select_related("system").prefetch_related("items"), code=code
    )
    timeline = listing(request, states_of(service), ServiceStateTable, prefix="states-")
    if download := downloaded(timeline):
        return download
    alerts = listing(
        request,
        Alert.objects.filter(service=service).select_related("service", "incident"),
        AlertTable,
        prefix="alerts-",
    )
    if download := downloaded(alerts):
        return download
    can_manage = has_permission(request.user, MANAGE)
    return render(
        request,
        "operations/monitoring/service.html",
        {
            "service": service,
            "timeline": timeline,
            "alerts": alerts,
            "rules": service.alert_rules.all(),
            "probes": service.probes.all(),
            "heartbeats": service.heartbeats.all(),
            "can_manage": can_manage,
            "forms": {name: form(prefix=name) for name, form in PARTS.items()}
            if can_manage
            else {},
        },
    )


@require_POST
@permission_required(MANAGE)
def service_part_add_view(request: HttpRequest, code: str, what: str) -> HttpResponse:
    """Add an alert rule, a probe or a heartbeat to a service."""
    service = get_object_or_404(MonitoredService, code=code)
    if what not in PARTS:
        raise Http404(what)
    form = PARTS[what](request.POST, prefix=what)
    if form.is_valid():
        part = form.save(commit=False)
        part.service = service
        part.save()
        messages.success(request, _("Added to %(code)s.") % {"code": service.code})
        return redirect("operations:monitored_service", code=service.code)
    return render(
        request,
        "operations/monitoring/form.html",
        {"form": form, "service": service, "part": what},
        status=422,
    )


@permission_required(VIEW)
def alerts_view(request: HttpRequest) -> HttpResponse:
    """Every alert received from Alertmanager: filter, sort, download."""
    found = listing(request, Alert.objects.select_related("service", "incident"), AlertTable)
    if download := downloaded(found):
        return download
    return render(request, "operations/monitoring/alerts.html", {"alerts": found})
