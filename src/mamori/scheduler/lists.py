"""The scheduler's list of runs (:mod:`mamori.core.tables`).

Jobs that run every few seconds (the outbox relay, the audit log's checkpoints: every 5 s)
would fill every page of runs; unless one job is asked for or "every job" is chosen, the list
leaves out the jobs that run more often than :data:`FREQUENT` (their last run stays in the
jobs table above the list, and choosing the job shows its whole history).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable
from mamori.scheduler.jobs import jobs
from mamori.scheduler.models import JobRun
from mamori.scheduler.services import MISSED_ERROR

__all__ = [
    "FREQUENT",
    "FailedRunFilter",
    "FailedRunTable",
    "RunFilter",
    "RunTable",
    "frequent_jobs",
]

#: Jobs that run at least this often are left out of the runs unless asked for.
FREQUENT = timedelta(minutes=1)


def frequent_jobs() -> list[str]:
    """Return the names of the jobs that run more often than :data:`FREQUENT`."""
    return [job.name for job in jobs() if job.every is not None and job.every < FREQUENT]


def _job_choices() -> list[tuple[str, str]]:
    return [(job.name, job.name) for job in jobs()]


class RunFilter(ListFilter):
    """Filter runs by job and state; the frequent jobs only when asked for (if
    ``hide_frequent``)."""

    hide_frequent: ClassVar[bool] = True
    search_fields: ClassVar[tuple[str, ...]] = ("job", "worker", "error")
    job = django_filters.ChoiceFilter(choices=_job_choices, label=_("Job"))
    status = django_filters.ChoiceFilter(choices=JobRun.Status.choices, label=_("State"))
    every = django_filters.BooleanFilter(
        method="_every", label=_("Also jobs that run every few seconds")
    )

    def _every(self, queryset: QuerySet[JobRun], name: str, value: bool) -> QuerySet[JobRun]:
        return queryset  # read by filter_queryset

    def filter_queryset(self, queryset: QuerySet[JobRun]) -> QuerySet[JobRun]:
        """Narrow the runs; leave out the frequent jobs unless one job or all are asked for."""
        narrowed: QuerySet[JobRun] = super().filter_queryset(queryset)
        asked = self.form.cleaned_data.get("job") or self.form.cleaned_data.get("every")
        if self.hide_frequent and not asked:
            narrowed = narrowed.exclude(job__in=frequent_jobs())
        return narrowed


class RunTable(ListTable):
    """Job, slot, state, worker, seconds, error, output digest."""

    filter_class = RunFilter
    export = "scheduler.runs"

    job = tables.Column(verbose_name=_("Job"))
    slot = tables.DateTimeColumn(verbose_name=_("Slot"), format="Y-m-d H:i:s")
    status = tables.Column(verbose_name=_("State"))
    worker = tables.Column(verbose_name=_("Worker"))
    seconds = tables.Column(
        verbose_name=_("Seconds"), accessor="duration_seconds", orderable=False, default=""
    )
    error = tables.Column(verbose_name=_("Error"), orderable=False)
    output_sha256 = tables.Column(
        verbose_name=_("Output SHA-256"), orderable=False, attrs={"td": {"class": "secret"}}
    )

    class Meta(ListTable.Meta):
        order_by = ("-slot",)

    def render_status(self, record: JobRun) -> Any:
        """The state in words, coloured."""
        return format_html(
            '<span class="run-{}">{}</span>', record.status, record.get_status_display()
        )

    def value_status(self, record: JobRun) -> str:
        """The state."""
        return record.status

    def render_error(self, value: str) -> str:
        """The error; a missed slot's in the reader's language."""
        return str(_("no run completed within the window")) if value == MISSED_ERROR else value

    def render_slot(self, value: Any) -> str:
        """The slot in local time, with its zone named."""
        from django.utils import timezone
        from django.utils.dateformat import format as date_format

        return date_format(timezone.localtime(value), "Y-m-d H:i:s T")

    def render_seconds(self, value: float) -> str:
        """The run's duration to the millisecond."""
        return f"{value:.3f}"

    def render_output_sha256(self, value: str) -> str:
        """The digest's first 16 characters."""
        return f"{value[:16]}…"


class FailedRunFilter(RunFilter):
    """Failed and missed runs: the frequent jobs' too (a failing relay must show)."""

    hide_frequent = False


class FailedRunTable(RunTable):
    """The failed and missed runs, every job's."""

    filter_class = FailedRunFilter
