"""The scheduler page: every job, its last runs, and what is overdue."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.views.access import permission_required
from mamori.scheduler.jobs import jobs
from mamori.scheduler.models import JobRun
from mamori.scheduler.services import MISSED_ERROR


@permission_required("scheduler.view")
def jobs_view(request: HttpRequest) -> HttpResponse:
    """List jobs with their last run and next slot, and the latest runs of all jobs."""
    now = timezone.now()
    rows = []
    for job in jobs():
        last = JobRun.objects.filter(job=job.name).order_by("-slot", "-id").first()
        rows.append(
            {
                "job": job,
                "last": last,
                "next": job.next_slot(now, settings.TIME_ZONE),
            }
        )
    runs = list(JobRun.objects.exclude(status="succeeded")[:50])
    for run in runs:
        run.shown_error = (  # type: ignore[attr-defined]
            _("no run completed within the window") if run.error == MISSED_ERROR else run.error
        )
    return render(
        request,
        "scheduler/jobs.html",
        {
            "rows": rows,
            "runs": runs,
            "recent": JobRun.objects.all()[:50],
        },
    )
