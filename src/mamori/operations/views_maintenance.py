"""Pages of the maintenance calendar (SRM 13): the month, the list, one maintenance, planning
and announcing it, the minimum notice rules and the iCalendar feeds (staff and public)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required, public
from mamori.core.errors import Refused
from mamori.core.tables import downloaded, listing
from mamori.operations import ical_maintenance
from mamori.operations.forms_maintenance import (
    CRITICALITY,
    MaintenanceForm,
    MomentForm,
    NoticeRuleForm,
)
from mamori.operations.lists_maintenance import MaintenanceTable
from mamori.operations.models import Maintenance, MaintenanceNoticeRule
from mamori.operations.services import maintenance as service
from mamori.operations.services import maintenance_rules

MANAGE = "maintenance.manage"
VIEW = "maintenance.view"


def _rows() -> QuerySet[Maintenance]:
    return Maintenance.objects.select_related("notice", "change").prefetch_related("systems")


def _month(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-", 1))
        return date(year, month, 1)
    except ValueError:
        return timezone.localdate().replace(day=1)


@permission_required(VIEW)
def calendar_view(request: HttpRequest) -> HttpResponse:
    """The maintenance of one month (``?month=YYYY-MM``), day by day."""
    first = _month(request.GET.get("month", ""))
    days_in_month = calendar.monthrange(first.year, first.month)[1]
    zone = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = start + timedelta(days=days_in_month)
    shown = list(_rows().filter(planned_start__lt=end, planned_end__gt=start))
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        cells = []
        for day in week:
            opens = datetime.combine(day, time.min, tzinfo=zone)
            closes = opens + timedelta(days=1)
            cells.append(
                {
                    "day": day,
                    "in_month": day.month == first.month,
                    "items": [
                        m for m in shown if m.planned_start < closes and m.planned_end > opens
                    ],
                }
            )
        weeks.append(cells)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = first + timedelta(days=days_in_month)
    return render(
        request,
        "operations/maintenance/calendar.html",
        {
            "month": first,
            "weeks": weeks,
            "previous": previous.strftime("%Y-%m"),
            "next": following.strftime("%Y-%m"),
            "can_manage": has_permission(request.user, MANAGE),
        },
    )


@permission_required(VIEW)
def list_view(request: HttpRequest) -> HttpResponse:
    """Every maintenance as a list: filters, pages, CSV and Excel downloads."""
    found = listing(request, _rows(), MaintenanceTable)
    if download := downloaded(found):
        return download
    return render(
        request,
        "operations/maintenance/list.html",
        {"maintenance": found, "can_manage": has_permission(request.user, MANAGE)},
    )


def _form_page(request: HttpRequest, existing: Maintenance | None) -> HttpResponse:
    """Plan a maintenance (``existing`` None) or change one, through the service."""
    form = MaintenanceForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        systems, services = data.pop("systems"), data.pop("services")
        user: Any = request.user
        try:
            if existing is None:
                saved = service.plan(data, systems, user, services)
                message = _("Maintenance %(ref)s planned.")
            else:  # the form's instance carries the new values; the service saves them
                saved = service.revise(existing, data, systems, user, services)
                message = _("Maintenance %(ref)s saved.")
        except Refused as refused:
            form.add_error(None, refused.shown())
        else:
            messages.success(request, message % {"ref": saved.reference})
            return redirect("operations:maintenance", pk=saved.pk)
    return render(
        request,
        "operations/maintenance/form.html",
        {"form": form, "maintenance": existing, "can_manage": True},
    )


@permission_required(MANAGE)
def add_view(request: HttpRequest) -> HttpResponse:
    """Put a maintenance on the calendar."""
    return _form_page(request, None)


@permission_required(MANAGE)
def edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a maintenance; an announced one is announced again."""
    return _form_page(request, get_object_or_404(Maintenance, pk=pk))


@permission_required(VIEW)
def detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One maintenance: window, systems, its notice and when it was published, the finding."""
    maintenance = get_object_or_404(_rows(), pk=pk)
    finding = service.finding_for(maintenance)
    return render(
        request,
        "operations/maintenance/detail.html",
        {
            "m": maintenance,
            "required_days": service.required_notice(maintenance).days,
            "deadline": maintenance.planned_start - service.required_notice(maintenance),
            "on_time": service.notice_on_time(maintenance),
            "finding": finding,
            "can_manage": has_permission(request.user, MANAGE),
            "moment_form": MomentForm(),
        },
    )


@require_POST
@permission_required(MANAGE)
def act_view(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    """Announce, start, finish or cancel a maintenance."""
    maintenance = get_object_or_404(Maintenance, pk=pk)
    user: Any = request.user
    moment = MomentForm(request.POST)
    at = moment.cleaned_data.get("at") if moment.is_valid() else None
    try:
        if what == "announce":
            service.announce(maintenance, user)
            messages.success(request, _("The notice waits for approval before it is published."))
        elif what == "start":
            service.start(maintenance, user, at)
        elif what == "finish":
            service.finish(maintenance, user, at)
        elif what == "cancel":
            service.cancel(maintenance, user)
        else:
            raise Http404("no such action")
    except Refused as refused:
        messages.error(request, refused.shown())
    return redirect("operations:maintenance", pk=maintenance.pk)


@permission_required(VIEW)
def rules_view(request: HttpRequest) -> HttpResponse:
    """The minimum notice per criticality; holders of maintenance.manage change it."""
    can_manage = has_permission(request.user, MANAGE)
    form = None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(MANAGE)
        existing = MaintenanceNoticeRule.objects.filter(
            criticality=request.POST.get("criticality", "")
        ).first()
        form = NoticeRuleForm(request.POST, instance=existing)
        if form.is_valid():
            done = maintenance_rules.set_minimum(
                form.cleaned_data["criticality"],
                form.cleaned_data["minimum_days"],
                request.user,  # type: ignore[arg-type]
            )
            if isinstance(done, MaintenanceNoticeRule):
                messages.success(request, _("Minimum notice saved."))
            else:
                messages.info(
                    request,
                    _(
                        "Lowering a minimum notice gives customers less warning: it waits for "
                        "two officers' approval (request #%(id)s)."
                    )
                    % {"id": done.pk},
                )
            return redirect("operations:maintenance_rules")
    elif can_manage:
        form = NoticeRuleForm()
    return render(
        request,
        "operations/maintenance/rules.html",
        {
            "rules": [
                (CRITICALITY.get(rule.criticality, rule.criticality), rule)
                for rule in MaintenanceNoticeRule.objects.all()
            ],
            "default_days": service.DEFAULT_MINIMUM_DAYS,
            "pending": maintenance_rules.pending(),
            "form": form,
            "can_manage": can_manage,
        },
    )


def _ical(request: HttpRequest, rows: QuerySet[Maintenance], internal: bool) -> HttpResponse:
    wanted = request.GET.get("lang", "")
    language = wanted if wanted in ("ja", "en") else (translation.get_language() or "ja")[:2]
    language = "en" if language == "en" else "ja"
    body = ical_maintenance.feed(rows, language, request.get_host(), internal=internal)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Language"] = language
    response.headers["Cache-Control"] = "private, no-store" if internal else "public, max-age=300"
    return response


def staff_calendar(request: HttpRequest) -> HttpResponse:
    """Answer every maintenance not cancelled, with internal details, as iCalendar (the
    caller has checked who asks)."""
    return _ical(request, _rows().exclude(status=Maintenance.Status.CANCELLED), True)


@permission_required(VIEW)
def staff_ical_view(request: HttpRequest) -> HttpResponse:
    """Every maintenance not cancelled, with internal details, as iCalendar."""
    return staff_calendar(request)


@public
def public_ical_view(request: HttpRequest) -> HttpResponse:
    """The maintenance announced to customers (notice published) as iCalendar, ``?lang=ja|en``."""
    return _ical(request, service.public(), False)
