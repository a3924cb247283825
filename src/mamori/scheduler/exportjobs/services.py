"""Queue, build, store and hand out heavy exports (issue 25, point 6).

A request queues a job and returns. The worker's export thread (:func:`start_in_process`,
started by ``mamori worker`` and ``mamori demo`` beside — never inside — the scheduler's
ticks) claims the oldest queued job with a conditional update, so two workers never build
the same job, and holds it by a lease each step renews. A worker that dies (``kill -9``)
lets its lease run out: the next claim puts the job back in the queue (at most
:data:`MAX_ATTEMPTS` times). The file is written beside its final name and renamed once
whole, and the job is marked done — and its requester notified — in one transaction that
only the worker still holding the claim can commit: a job is never delivered twice, and no
half-written file is ever served (a download checks the SHA-256 too).
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.accounts.services.roles import has_permission
from mamori.auditlog.context import acting
from mamori.auditlog.services import record_export
from mamori.core.errors import Refused
from mamori.scheduler.exportjobs.kinds import Built, ExportKind, get_kind
from mamori.scheduler.models import ExportJob

__all__ = [
    "INTERNAL",
    "LEASE",
    "MAX_ATTEMPTS",
    "WORKER_LOST",
    "ExportRefused",
    "claim_next",
    "download",
    "exports_dir",
    "may_download",
    "request_export",
    "run_claimed",
    "start_in_process",
    "work_once",
]

log = logging.getLogger("mamori.exports")
#: How long a claim holds without news from its worker (each step renews it).
LEASE = timedelta(minutes=2)
#: How many times a job is claimed before a job whose workers keep dying is failed.
MAX_ATTEMPTS = 3
#: The error code of a build that failed for a reason mamori did not foresee.
INTERNAL = "internal"
WORKER_LOST = "worker_lost"
_WAKE = threading.Event()
_ACTIVE = (ExportJob.State.QUEUED, ExportJob.State.RUNNING)


class ExportRefused(Refused):
    """An export that cannot be asked for, followed or downloaded (code and status say why)."""


class _ClaimLost(Exception):
    """The job was taken from this worker (its lease ran out): stop building it."""


def exports_dir() -> Path:
    """Return where finished exports are kept (in the data directory, never in the database)."""
    return Path(settings.CONFIG.data_dir) / "exports"


def may_download(user: object, job: ExportJob) -> bool:
    """Return whether ``user`` may follow and download ``job``: whoever holds the permission
    its kind needs (the requester, while they still hold it, and their peers)."""
    return has_permission(user, get_kind(job.kind).permission)


def request_export(
    user: User, kind_name: str, parameters: dict[str, Any], language: str
) -> ExportJob:
    """Queue ``kind_name`` built from ``parameters`` in ``language`` for ``user`` and return
    the job at once; the same export already queued or being built for them is returned
    instead of a second one."""
    try:
        kind = get_kind(kind_name)
    except KeyError:
        raise ExportRefused("unknown_export", _("there is no such export"), status=404) from None
    if not has_permission(user, kind.permission):
        raise ExportRefused("not_allowed", _("you may not have this export"), status=403)
    kind.check(parameters)
    language = "en" if language.startswith("en") else "ja"
    waiting = ExportJob.objects.filter(
        requested_by=user, kind=kind.name, language=language, state__in=_ACTIVE
    )
    for job in waiting:
        if job.parameters == parameters:
            return job
    job = ExportJob.objects.create(
        requested_by=user,
        kind=kind.name,
        parameters=parameters,
        language=language,
        steps=len(kind.steps),
        requested_at=timezone.now(),
    )
    transaction.on_commit(_WAKE.set)
    return job


def _release_lost(now: datetime) -> None:
    """Queue again (or fail, after :data:`MAX_ATTEMPTS`) the jobs whose worker stopped."""
    for job in ExportJob.objects.filter(state=ExportJob.State.RUNNING, lease_expires_at__lt=now):
        held = ExportJob.objects.filter(
            pk=job.pk, state=ExportJob.State.RUNNING, attempts=job.attempts, worker=job.worker
        )
        if job.attempts >= MAX_ATTEMPTS:
            with transaction.atomic():
                if held.update(
                    state=ExportJob.State.FAILED,
                    finished_at=now,
                    error_code=WORKER_LOST,
                    error=f"worker {job.worker} stopped before finishing, {job.attempts} times",
                ):
                    _tell(ExportJob.objects.get(pk=job.pk))
        elif held.update(state=ExportJob.State.QUEUED, worker="", step=0):
            log.warning("export %s: worker %s stopped; queued again", job.pk, job.worker)


def claim_next(worker: str, now: datetime | None = None) -> ExportJob | None:
    """Claim the oldest queued job for ``worker`` (jobs of stopped workers queued again
    first); return it, or None when there is nothing to build."""
    now = now or timezone.now()
    _release_lost(now)
    queue = ExportJob.objects.filter(state=ExportJob.State.QUEUED).order_by("requested_at", "id")
    for pk in queue.values_list("pk", flat=True)[:10]:
        claimed = ExportJob.objects.filter(pk=pk, state=ExportJob.State.QUEUED).update(
            state=ExportJob.State.RUNNING,
            worker=worker,
            attempts=F("attempts") + 1,
            started_at=now,
            lease_expires_at=now + LEASE,
            step=0,
        )
        if claimed:
            return ExportJob.objects.get(pk=pk)
    return None


def _store(job: ExportJob, built: Built) -> tuple[str, str]:
    """Write ``built`` whole under its final name (a temporary name, synced, then renamed);
    return the name and the SHA-256."""
    digest = hashlib.sha256(built.data).hexdigest()
    folder = exports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{job.pk}-{digest[:16]}{Path(built.file_name).suffix}"
    partial = folder / f".{name}.{uuid.uuid4().hex}.part"
    with partial.open("wb") as handle:
        handle.write(built.data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, folder / name)
    return name, digest


def _tell(job: ExportJob) -> None:
    """Notify the requester that ``job`` is ready or failed, with a link to its page."""
    from mamori.notifications.services import Recipient, notify

    kind = get_kind(job.kind)
    titles = []
    for language in ("ja", "en"):
        with translation.override(language):
            if job.state == ExportJob.State.DONE:
                titles.append(str(_("Export ready: %(title)s") % {"title": kind.title}))
            else:
                titles.append(str(_("Export failed: %(title)s") % {"title": kind.title}))
    notify(
        f"exports.{job.state}",
        "info" if job.state == ExportJob.State.DONE else "warning",
        (titles[0], titles[1]),
        (job.error, job.error) if job.error_code not in ("", INTERNAL) else ("", ""),
        [[Recipient(username=job.requested_by.username)]],
        link=f"/exports/{job.pk}/",
    )


def run_claimed(job: ExportJob, worker: str) -> ExportJob:
    """Build ``job`` (claimed by ``worker``), store it and mark it done — or failed with its
    error — and notify the requester; a job taken from this worker meanwhile is left alone."""
    kind: ExportKind = get_kind(job.kind)
    held = ExportJob.objects.filter(
        pk=job.pk, state=ExportJob.State.RUNNING, worker=worker, attempts=job.attempts
    )

    def progress(step: int) -> None:
        if not held.update(step=min(step, job.steps), lease_expires_at=timezone.now() + LEASE):
            raise _ClaimLost

    for stale in exports_dir().glob(f".{job.pk}-*.part"):  # left by a worker that died
        stale.unlink(missing_ok=True)
    outcome: dict[str, Any]
    try:
        with acting("system:exports"):
            with translation.override(job.language):
                built = kind.build(dict(job.parameters), job.language, progress)
            name, digest = _store(job, built)
    except _ClaimLost:
        log.warning("export %s was taken from %s; its build is dropped", job.pk, worker)
        return job
    except Refused as refused:
        outcome = {"state": ExportJob.State.FAILED, "error_code": refused.code}
        outcome["error"] = refused.message
    except Exception as exc:
        log.exception("export %s (%s) failed", job.pk, job.kind)
        outcome = {"state": ExportJob.State.FAILED, "error_code": INTERNAL}
        outcome["error"] = f"{type(exc).__name__}: {exc}"[:2000]
    else:
        outcome = {
            "state": ExportJob.State.DONE,
            "step": job.steps,
            "stored_as": name,
            "sha256": digest,
            "size": len(built.data),
            "file_name": built.file_name,
            "content_type": built.content_type,
            "details": built.details,
        }
    with transaction.atomic():
        if held.update(finished_at=timezone.now(), **outcome):
            job.refresh_from_db()
            _tell(job)
            return job
    if outcome["state"] == ExportJob.State.DONE:  # another worker holds it now
        (exports_dir() / outcome["stored_as"]).unlink(missing_ok=True)
    return job


def work_once(worker: str | None = None) -> ExportJob | None:
    """Claim and build one job; return it (None when the queue is empty)."""
    from mamori.scheduler.services import worker_id

    worker = worker or f"{worker_id()}:exports"
    job = claim_next(worker)
    return run_claimed(job, worker) if job is not None else None


def start_in_process(poll_seconds: float = 1.0) -> threading.Event:
    """Build exports in a daemon thread of their own (the scheduler's ticks run in another,
    so a 20-second PDF never holds a slot back); set the returned event to stop it."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                built = work_once()
            except Exception:
                log.exception("export worker failed")
                built = None
            finally:
                close_old_connections()
            if built is None:
                _WAKE.wait(poll_seconds)
                _WAKE.clear()

    threading.Thread(target=loop, name="mamori-exports", daemon=True).start()
    return stop


def download(user: object | None, job: ExportJob) -> bytes:
    """Return ``job``'s file for ``user`` and record the download in the audit log (as the
    export of its kind, with the file's SHA-256); refuse anyone without the permission, a job
    not ready, and a file that is not the one built. ``user`` None is the installation's own
    service (a token issued from the command line, its scope checked by the API)."""
    if user is not None and not may_download(user, job):
        raise ExportRefused("not_allowed", _("you may not have this export"), status=403)
    if job.state != ExportJob.State.DONE:
        raise ExportRefused("not_ready", _("this export is not ready"), status=409)
    try:
        data = (exports_dir() / job.stored_as).read_bytes()
    except OSError:
        data = b""
    if hashlib.sha256(data).hexdigest() != job.sha256:
        raise ExportRefused(
            "file_gone", _("the file of this export is gone: ask for it again"), status=410
        )
    kind = get_kind(job.kind)
    record_export(
        kind.audit_type,
        job.sha256,
        {**job.details, "language": job.language, "export_job": job.pk},
        object_id=kind.object_id(job.parameters),
    )
    return data
