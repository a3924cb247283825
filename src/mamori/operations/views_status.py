"""Pages of the daily confirmation of operating status (SRM 21-1, 21-2): yesterday's and
today's availability per service, state changes and incidents beside the confirmation, and
the month of confirmations."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.views.access import permission_required
from mamori.core.errors import Refused
from mamori.operations.models import DailyConfirmation, MissedConfirmation
from mamori.operations.services import status

VIEW = "changes.view"
CONFIRM = "systems.manage"


def _today() -> date:
    return timezone.now().astimezone(status.TOKYO).date()


def _day(text: str, default: date) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return default


@permission_required(VIEW)
def daily_view(request: HttpRequest) -> HttpResponse:
    """Yesterday's operating status (``?day=YYYY-MM-DD``) and today's so far, with the
    confirmation of the day or the button to record it."""
    today = _today()
    day = min(_day(request.GET.get("day", ""), today - timedelta(days=1)), today)
    confirmations = list(
        DailyConfirmation.objects.filter(date=day).select_related("confirmed_by").order_by("at")
    )
    return render(
        request,
        "operations/status/daily.html",
        {
            "report": status.day_report(day),
            "today": status.day_report(today) if day != today else None,
            "confirmations": confirmations,
            "first": next((c for c in confirmations if c.corrects_id is None), None),
            "missed": MissedConfirmation.objects.filter(date=day).first(),
            "due_at": status.due_at(day),
            "can_confirm": status.can_confirm(request.user),
            "previous": day - timedelta(days=1),
            "following": day + timedelta(days=1) if day < today else None,
        },
    )


@require_POST
@permission_required(CONFIRM)
def confirm_view(request: HttpRequest) -> HttpResponse:
    """Record a day's confirmation: no abnormality, or what was found (a correction when the
    day already has one)."""
    day = _day(request.POST.get("day", ""), _today() - timedelta(days=1))
    first = DailyConfirmation.objects.filter(date=day, corrects__isnull=True).first()
    correcting = request.POST.get("correct") == "1"
    try:
        status.confirm(
            day,
            request.user,  # type: ignore[arg-type]
            no_abnormality=request.POST.get("outcome") == "ok",
            findings=request.POST.get("findings", ""),
            corrects=first if correcting else None,
        )
    except Refused as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(request, _("Operating status of %(day)s confirmed.") % {"day": day})
    return redirect(f"{reverse('operations:status_daily')}?day={day.isoformat()}")


@permission_required(VIEW)
def month_view(request: HttpRequest) -> HttpResponse:
    """The confirmations of a month (``?month=YYYY-MM``): each day confirmed, with findings,
    missed or still open; and each service's availability over the month."""
    today = _today()
    try:
        year, month = (int(part) for part in request.GET.get("month", "").split("-", 1))
        first_day = date(year, month, 1)
    except ValueError:
        first_day = today.replace(day=1)
    length = calendar.monthrange(first_day.year, first_day.month)[1]
    last_day = first_day + timedelta(days=length - 1)
    confirmed: dict[date, list[DailyConfirmation]] = {}
    for row in DailyConfirmation.objects.filter(date__gte=first_day, date__lte=last_day).order_by(
        "at"
    ):
        confirmed.setdefault(row.date, []).append(row)
    missed = set(
        MissedConfirmation.objects.filter(date__gte=first_day, date__lte=last_day).values_list(
            "date", flat=True
        )
    )
    days = []
    for offset in range(length):
        day = first_day + timedelta(days=offset)
        rows = confirmed.get(day, [])
        days.append(
            {
                "day": day,
                "first": next((c for c in rows if c.corrects_id is None), None),
                "corrections": sum(1 for c in rows if c.corrects_id is not None),
                "missed": day in missed,
                "future": day >= today,
            }
        )
    return render(
        request,
        "operations/status/month.html",
        {
            "month": first_day,
            "days": days,
            "services": status.month_availability(first_day.year, first_day.month),
            "previous": (first_day - timedelta(days=1)).replace(day=1),
            "following": last_day + timedelta(days=1),
        },
    )
