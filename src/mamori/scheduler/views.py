"""The scheduler page: every job, its last runs, and what is overdue."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mamori.accounts.views.access import permission_required
from mamori.scheduler.jobs import jobs
from mamori.scheduler.models import JobRun


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
    return render(
        request,
        "scheduler/jobs.html",
        {
            "rows": rows,
            "runs": JobRun.objects.exclude(status="succeeded")[:50],
            "recent": JobRun.objects.all()[:50],
        },
    )
