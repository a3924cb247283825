"""Heavy exports are built by the worker: asked for at once, followed, told when ready, taken
again when a worker dies and never delivered twice, and a failure says why in the reader's
language (issue 25, point 6)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.core.errors import Refused
from mamori.notifications.models import Notification
from mamori.scheduler import exportjobs
from mamori.scheduler import jobs as registry
from mamori.scheduler import services as scheduler
from mamori.scheduler.exportjobs import kinds, services
from mamori.scheduler.jobs import Job
from mamori.scheduler.models import ExportJob, JobRun
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db

BUILDS: list[str] = []


def _fine(
    parameters: dict[str, Any], language: str, progress: exportjobs.Progress
) -> exportjobs.Built:
    progress(1)
    BUILDS.append(language)
    progress(2)
    return exportjobs.Built(f"built in {language}".encode(), "t.txt", "text/plain", {"n": 1})


def _refusing(
    parameters: dict[str, Any], language: str, progress: exportjobs.Progress
) -> exportjobs.Built:
    raise Refused("no_data", _("there is no such run"))


def _crashing(
    parameters: dict[str, Any], language: str, progress: exportjobs.Progress
) -> exportjobs.Built:
    raise RuntimeError("font cache unreadable")


@pytest.fixture(autouse=True)
def test_kinds(tmp_path, monkeypatch) -> Iterator[None]:
    monkeypatch.setattr(services, "exports_dir", lambda: tmp_path / "exports")
    saved = dict(kinds._KINDS)
    for name, build in (("t.fine", _fine), ("t.refusing", _refusing), ("t.crashing", _crashing)):
        kinds.register_export(
            exportjobs.ExportKind(
                name, "Test export", "rulebook.export", build, ("one", "two"), f"test.{name}"
            )
        )
    BUILDS.clear()
    yield
    kinds._KINDS.clear()
    kinds._KINDS.update(saved)


@pytest.fixture
def ciso(db):
    return give(make_user("ciso-kim"), "ciso")


def test_asking_returns_at_once_and_the_page_follows_the_job(ciso) -> None:
    job = exportjobs.request_export(ciso, "t.fine", {}, "en")
    client = client_for(ciso)
    page = client.get(f"/exports/{job.pk}/").content.decode()
    assert 'http-equiv="refresh"' in page and "<script" not in page
    assert BUILDS == []  # nothing was built by asking
    assert exportjobs.request_export(ciso, "t.fine", {}, "en") == job  # asked twice: one job
    exportjobs.work_once()
    job.refresh_from_db()
    assert job.state == "done" and job.step == 2 and BUILDS == ["en"]
    page = client.get(f"/exports/{job.pk}/").content.decode()
    assert 'http-equiv="refresh"' not in page and job.sha256 in page
    assert client.get(f"/exports/{job.pk}/download").content == b"built in en"
    told = Notification.objects.get(topic="exports.done")
    assert told.link == f"/exports/{job.pk}/"
    assert f"/exports/{job.pk}/" in client.get("/exports/").content.decode()


def test_a_refused_build_shows_why_in_the_language_of_the_reader(ciso) -> None:
    client = client_for(ciso)  # reads Japanese
    job = exportjobs.request_export(ciso, "t.refusing", {}, "ja")
    exportjobs.work_once()
    job.refresh_from_db()
    assert job.state == "failed" and job.error_code == "no_data"
    page = client.get(f"/exports/{job.pk}/").content.decode()
    assert "その照合実行はありません" in page
    assert Notification.objects.get(topic="exports.failed").body_ja == job.error
    assert client.get(f"/exports/{job.pk}/download").status_code == 302  # back to its page


def test_a_crashed_build_says_so_in_japanese_and_keeps_the_cause(ciso) -> None:
    job = exportjobs.request_export(ciso, "t.crashing", {}, "ja")
    exportjobs.work_once()
    page = client_for(ciso).get(f"/exports/{job.pk}/").content.decode()
    assert "mamori の内部の誤りのため" in page and "font cache unreadable" in page


def test_someone_without_the_permission_sees_nothing_of_it(ciso) -> None:
    job = exportjobs.request_export(ciso, "t.fine", {}, "ja")
    exportjobs.work_once()
    stranger = client_for(make_user("stranger"))
    assert stranger.get(f"/exports/{job.pk}/").status_code == 403
    assert stranger.get(f"/exports/{job.pk}/download").status_code == 403
    with pytest.raises(services.ExportRefused):
        exportjobs.request_export(make_user("other"), "t.fine", {}, "ja")


def test_a_job_whose_worker_died_is_built_again_and_delivered_once(ciso) -> None:
    job = exportjobs.request_export(ciso, "t.fine", {}, "ja")
    dead = services.claim_next("host:1:exports")
    services.exports_dir().mkdir(parents=True, exist_ok=True)
    half = services.exports_dir() / f".{job.pk}-0123456789abcdef.txt.dead.part"
    half.write_bytes(b"built i")  # what a kill -9 mid-write leaves
    assert dead is not None and dead.pk == job.pk
    assert services.claim_next("host:2:exports") is None  # held by the first
    later = timezone.now() + services.LEASE + timedelta(seconds=1)
    again = services.claim_next("host:2:exports", later)
    assert again is not None and again.attempts == 2
    services.run_claimed(again, "host:2:exports")
    services.run_claimed(dead, "host:1:exports")  # the first worker wakes up late
    job.refresh_from_db()
    assert job.state == "done" and job.worker == "host:2:exports"
    assert Notification.objects.filter(topic="exports.done").count() == 1
    assert len(list(services.exports_dir().glob(f"{job.pk}-*"))) == 1
    assert not list(services.exports_dir().glob(f".{job.pk}-*.part"))


def test_a_job_whose_workers_keep_dying_fails_and_says_so(ciso) -> None:
    job = exportjobs.request_export(ciso, "t.fine", {}, "en")
    moment = timezone.now()
    for _attempt in range(services.MAX_ATTEMPTS):
        assert services.claim_next("dying", moment) is not None
        moment += services.LEASE + timedelta(seconds=1)
    assert services.claim_next("dying", moment) is None
    job.refresh_from_db()
    assert job.state == "failed" and job.error_code == "worker_lost"
    assert Notification.objects.filter(topic="exports.failed").count() == 1


def test_a_file_cut_short_is_never_served(ciso) -> None:
    job = exportjobs.request_export(ciso, "t.fine", {}, "ja")
    client = client_for(ciso)
    assert client.get(f"/exports/{job.pk}/download").status_code == 302  # not ready
    exportjobs.work_once()
    job.refresh_from_db()
    (services.exports_dir() / job.stored_as).write_bytes(b"built in")  # cut short
    answer = client.get(f"/exports/{job.pk}/download", follow=True).content.decode()
    assert "built in" not in answer and job.sha256 not in answer.split("download")[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_scheduler_keeps_its_slots_while_an_export_is_built() -> None:
    """A build that keeps the processor busy for three seconds, in the worker's export
        thread, while the scheduler ticks every 0.2 s a job due every second (three seconds late is
    missed): no slot missed, during the build or after it."""

    def busy(
        parameters: dict[str, Any], language: str, progress: exportjobs.Progress
    ) -> exportjobs.Built:
        until = time.monotonic() + 3
        while time.monotonic() < until:
            sum(range(10_000))
            ExportJob.objects.count()
        return exportjobs.Built(b"x", "x.txt", "text/plain")

    kinds.register_export(
        exportjobs.ExportKind("t.busy", "Busy", "rulebook.export", busy, ("one",), "t.busy")
    )
    saved = dict(registry._JOBS)
    registry._JOBS.clear()
    registry.register_job(
        Job("t.tick", lambda: "ok", "tick", every=timedelta(seconds=1), window=timedelta(seconds=3))
    )
    try:
        person = give(make_user("ciso-ito"), "ciso")
        job = exportjobs.request_export(person, "t.busy", {}, "ja")
        stop = exportjobs.start_in_process(poll_seconds=0.1)
        started = time.monotonic()
        while time.monotonic() - started < 7:
            scheduler.tick()
            close_old_connections()
            time.sleep(0.2)
        stop.set()
        job.refresh_from_db()
        assert job.state == "done"
        runs = JobRun.objects.filter(job="t.tick")
        assert runs.filter(status="succeeded").count() >= 6
        assert not runs.exclude(status="succeeded").exists()
    finally:
        registry._JOBS.clear()
        registry._JOBS.update(saved)


def test_the_page_is_for_signed_in_people_only(ciso) -> None:
    job = exportjobs.request_export(ciso, "t.fine", {}, "ja")
    assert Client().get(f"/exports/{job.pk}/").status_code == 302
