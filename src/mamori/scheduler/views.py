"""The scheduler page: every job, its last runs, and what is overdue."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mamori.accounts.views.access import permission_required
from mamori.core.tables import downloaded, listing
from mamori.scheduler.jobs import jobs
from mamori.scheduler.lists import FailedRunTable, RunTable, frequent_jobs
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
    failed = listing(
        request, JobRun.objects.exclude(status="succeeded"), FailedRunTable, prefix="failed-"
    )
    recent = listing(request, JobRun.objects.all(), RunTable, prefix="runs-")
    if download := downloaded(failed, recent):
        return download
    return render(
        request,
        "scheduler/jobs.html",
        {"rows": rows, "runs": failed, "recent": recent, "frequent": frequent_jobs()},
    )
