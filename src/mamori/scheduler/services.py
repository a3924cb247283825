"""Run due jobs once per slot, record every run, and raise an alert for what did not happen.

:func:`tick` is what a worker calls every few seconds. For each job it (1) marks runs whose
worker vanished as failed, (2) records slots that passed without a run as *missed*, (3) claims
the current slot by inserting its run — the unique (job, slot) row means two workers never run
the same slot — and runs it, recording start, end, outcome and a SHA-256 of the output.
Failures, misses and late runs notify the job's responsible people.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
import time
import traceback
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from mamori.scheduler.jobs import Job, get_job, jobs
from mamori.scheduler.models import JobDefinition, JobRun

__all__ = [
    "MISSED_ERROR",
    "local_time",
    "run_now",
    "start_in_process",
    "tick",
    "until_next_tick",
    "worker_id",
]

log = logging.getLogger("mamori.scheduler")
MAX_MISSED_LOOKBACK = 10
#: What a missed run records as its error (stored in English; shown translated).
MISSED_ERROR = "no run completed within the window"
MISSED_JA = "期限内に完了した実行がありません"


def local_time(value: datetime) -> str:
    """Return ``value`` as people read it: in the installation's time zone, named."""
    return value.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%Y-%m-%d %H:%M:%S %Z")


def worker_id() -> str:
    """Return a name for this worker process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alert(job: Job, run: JobRun, what: str, severity: str) -> None:
    from mamori.notifications.services import Recipient, notify

    titles = {
        "failed": (f"ジョブ失敗: {job.name}", f"Job failed: {job.name}"),
        "missed": (f"ジョブ未実行: {job.name}", f"Job missed: {job.name}"),
        "late": (f"ジョブ遅延: {job.name}", f"Job late: {job.name}"),
    }
    slot = local_time(run.slot)
    body = (
        f"枠 {slot} — {MISSED_JA if run.error == MISSED_ERROR else run.error or run.status}",
        f"slot {slot} — {run.error or run.status}",
    )
    try:
        notify(
            f"scheduler.{what}",
            severity,
            titles[what],
            body,
            [[Recipient(role) for role in level] for level in job.alert_roles],
            requires_ack=True,
            escalate_after=timedelta(minutes=30),
            link="/scheduler/",
        )
    except ValueError as exc:  # nobody holds the roles: still logged, and the run is recorded
        log.error("cannot notify about %s %s: %s", job.name, what, exc)
    JobRun.objects.filter(pk=run.pk).update(alerted=True)
    log.warning("job %s %s for slot %s: %s", job.name, what, run.slot, run.error)


def _definition(job: Job, now: datetime) -> JobDefinition:
    definition, _ = JobDefinition.objects.get_or_create(
        name=job.name, defaults={"first_seen_at": now}
    )
    return definition


def _record_missed(job: Job, definition: JobDefinition, now: datetime) -> None:
    zone = settings.TIME_ZONE
    first = job.slot(definition.first_seen_at, zone)  # slots before the job existed don't count
    slot = job.previous_slot(job.slot(now, zone), zone)
    for _ in range(MAX_MISSED_LOOKBACK):
        if slot < first:
            return
        if now >= slot + job.window and not JobRun.objects.filter(job=job.name, slot=slot).exists():
            try:
                with transaction.atomic():
                    run = JobRun.objects.create(
                        job=job.name,
                        slot=slot,
                        status=JobRun.Status.MISSED,
                        error=MISSED_ERROR,
                    )
            except IntegrityError:
                pass  # another worker recorded it
            else:
                _alert(job, run, "missed", "critical")
        slot = job.previous_slot(slot, zone)


def _expire_leases(now: datetime) -> None:
    for run in JobRun.objects.filter(status=JobRun.Status.RUNNING, lease_expires_at__lt=now):
        updated = JobRun.objects.filter(pk=run.pk, status=JobRun.Status.RUNNING).update(
            status=JobRun.Status.FAILED,
            finished_at=now,
            error=f"worker {run.worker} stopped before finishing (lease expired)",
        )
        if updated:
            run.refresh_from_db()
            try:
                _alert(get_job(run.job), run, "failed", "critical")
            except KeyError:
                log.error("run %s of unknown job %s expired", run.pk, run.job)


def _claim(job: Job, slot: datetime, worker: str, now: datetime, manual: bool) -> JobRun | None:
    try:
        with transaction.atomic():
            return JobRun.objects.create(
                job=job.name,
                slot=slot,
                manual=manual,
                status=JobRun.Status.RUNNING,
                worker=worker,
                started_at=now,
                lease_expires_at=now + job.window,
            )
    except IntegrityError:
        return None


def _execute(job: Job, run: JobRun, first_seen_at: datetime | None = None) -> JobRun:
    """Run ``job`` for ``run``; a run that ends after its slot's window is late — unless the
    slot began before the scheduler first knew the job (``first_seen_at``): the first run of a
    daily job in a fresh installation catches up, it is not late (issue 25, point 6)."""
    try:
        result = job.func()
    except Exception as exc:
        run.status = JobRun.Status.FAILED
        run.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
        run.output = traceback.format_exc()[-8000:]
    else:
        run.status = JobRun.Status.SUCCEEDED
        text = (
            result if isinstance(result, str) else json.dumps(result, default=str, sort_keys=True)
        )
        run.output = (text or "")[:20000]
    run.finished_at = timezone.now()
    run.output_sha256 = hashlib.sha256(run.output.encode("utf-8")).hexdigest()
    run.save(update_fields=["status", "error", "output", "output_sha256", "finished_at"])
    if run.status == JobRun.Status.FAILED:
        _alert(job, run, "failed", "critical")
    elif (
        not run.manual
        and run.finished_at > run.slot + job.window
        and (first_seen_at is None or first_seen_at <= run.slot)
    ):
        _alert(job, run, "late", "warning")
    return run


def tick(now: datetime | None = None, worker: str | None = None) -> list[JobRun]:
    """Run every job whose current slot has no run yet; return the runs this call made."""
    now = now or timezone.now()
    worker = worker or worker_id()
    _expire_leases(now)
    done = []
    for job in jobs():
        definition = _definition(job, now)
        _record_missed(job, definition, now)
        run = _claim(job, job.slot(now, settings.TIME_ZONE), worker, now, manual=False)
        if run is not None:
            done.append(_execute(job, run, definition.first_seen_at))
    return done


def run_now(name: str, worker: str | None = None) -> JobRun:
    """Run ``name`` once now, outside its schedule (recorded as manual)."""
    job = get_job(name)
    now = timezone.now()
    run = _claim(job, now, worker or worker_id(), now, manual=True)
    assert run is not None  # manual runs are not unique per slot
    return _execute(job, run)


def until_next_tick(interval_seconds: float, now: float | None = None) -> float:
    """Return the seconds to wait until just after the next multiple of ``interval_seconds``
    (from the Unix epoch, as slots are): a loop that waited ``interval_seconds`` after each
    tick would drift by the tick's own duration and skip a slot of a job due every interval
    now and then (measured in the demo: one 5-second slot a minute, with no run and no
    "missed" record)."""
    now = time.time() if now is None else now
    return interval_seconds - now % interval_seconds + 0.05


def start_in_process(interval_seconds: float = 5.0) -> threading.Event:
    """Run the scheduler in a daemon thread (the demo's worker); set the event to stop it."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                tick()
            except Exception:
                log.exception("scheduler tick failed")
            finally:
                close_old_connections()
            stop.wait(until_next_tick(interval_seconds))

    threading.Thread(target=loop, name="mamori-scheduler", daemon=True).start()
    return stop
