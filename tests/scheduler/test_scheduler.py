"""Scheduled jobs run once per slot, every run is recorded, and what did not happen alerts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import close_old_connections
from django.test import Client

from mamori.accounts.models import Role, RoleAssignment
from mamori.notifications.models import Notification
from mamori.scheduler import jobs as registry
from mamori.scheduler import services
from mamori.scheduler.jobs import Job
from mamori.scheduler.models import JobRun
from tests.conftest import make_user, sign_in

T0 = datetime(2026, 11, 20, 0, 0, 5, tzinfo=UTC)


@pytest.fixture
def only_these_jobs():
    saved = dict(registry._JOBS)
    registry._JOBS.clear()
    yield registry._JOBS
    registry._JOBS.clear()
    registry._JOBS.update(saved)


@pytest.fixture
def operator(db):
    person = make_user("opr")
    RoleAssignment.objects.create(user=person, role=Role.objects.get(code="operator"))
    return person


def counting_job(name: str = "t.count", fail: bool = False, **kwargs) -> tuple[Job, list[int]]:
    calls: list[int] = []

    def func() -> dict[str, int]:
        calls.append(1)
        if fail:
            raise RuntimeError("node unreachable")
        return {"calls": len(calls)}

    kwargs.setdefault("every", timedelta(minutes=1))
    return Job(name, func, "test job", **kwargs), calls


def test_interval_slots_align_to_the_epoch() -> None:
    job, _ = counting_job()
    assert job.slot(T0, "Asia/Tokyo") == datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
    assert job.next_slot(T0, "Asia/Tokyo") == datetime(2026, 11, 20, 0, 1, tzinfo=UTC)


def test_daily_slots_follow_the_local_time_zone() -> None:
    job, _ = counting_job(every=None, daily_at=time(2, 0))
    # 02:00 in Tokyo is 17:00 UTC the day before
    assert job.slot(T0, "Asia/Tokyo") == datetime(2026, 11, 19, 17, 0, tzinfo=UTC)
    before = datetime(2026, 11, 19, 16, 59, tzinfo=UTC)
    assert job.slot(before, "Asia/Tokyo") == datetime(2026, 11, 18, 17, 0, tzinfo=UTC)


def test_a_job_needs_exactly_one_schedule() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Job("x", lambda: None, "x")


@pytest.mark.django_db
def test_a_job_runs_once_per_slot_and_the_run_is_recorded(only_these_jobs) -> None:
    job, calls = counting_job()
    registry.register_job(job)
    first = services.tick(T0, "w1")
    assert [run.status for run in first] == ["succeeded"]
    assert services.tick(T0 + timedelta(seconds=30), "w1") == []
    assert len(calls) == 1
    run = JobRun.objects.get()
    assert run.output == '{"calls": 1}' and len(run.output_sha256) == 64
    assert run.started_at and run.finished_at
    services.tick(T0 + timedelta(minutes=1), "w1")
    assert len(calls) == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_never_run_the_same_slot_twice(only_these_jobs) -> None:
    job, calls = counting_job()
    registry.register_job(job)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            barrier.wait()
            for second in range(0, 180, 20):
                services.tick(T0 + timedelta(seconds=second), name)
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    slots = list(JobRun.objects.filter(job="t.count").values_list("slot", flat=True))
    assert len(slots) == len(set(slots)) == 3  # minutes 0, 1 and 2
    assert len(calls) == 3


@pytest.mark.django_db
def test_a_crashing_job_is_recorded_as_failed_and_alerts(only_these_jobs, operator) -> None:
    job, _ = counting_job(fail=True)
    registry.register_job(job)
    (run,) = services.tick(T0, "w1")
    assert run.status == "failed" and "node unreachable" in run.error
    alert = Notification.objects.get(topic="scheduler.failed")
    assert alert.requires_ack and alert.deliveries.filter(user=operator).exists()


@pytest.mark.django_db
def test_slots_without_a_run_are_recorded_as_missed_and_alert(only_these_jobs, operator) -> None:
    job, calls = counting_job(window=timedelta(minutes=1))
    registry.register_job(job)
    services.tick(T0, "w1")
    services.tick(T0 + timedelta(minutes=4), "w1")  # the worker was down for minutes 1–3
    statuses = dict(JobRun.objects.values_list("slot", "status"))
    for minute in (1, 2, 3):
        assert statuses[T0.replace(second=0) + timedelta(minutes=minute)] == "missed"
    assert Notification.objects.filter(topic="scheduler.missed").count() == 3
    assert len(calls) == 2


@pytest.mark.django_db
def test_a_run_whose_worker_died_is_failed_when_its_lease_expires(
    only_these_jobs, operator
) -> None:
    job, calls = counting_job(window=timedelta(minutes=1))
    registry.register_job(job)
    slot = job.slot(T0, "Asia/Tokyo")
    JobRun.objects.create(
        job=job.name,
        slot=slot,
        status="running",
        worker="dead:1",
        started_at=T0,
        lease_expires_at=T0 + timedelta(minutes=1),
    )
    services.tick(T0 + timedelta(seconds=90), "w2")
    run = JobRun.objects.get(slot=slot)
    assert run.status == "failed" and "dead:1" in run.error
    assert calls == [1]  # the next slot ran; the dead one was not repeated


@pytest.mark.django_db
def test_a_daily_job_without_a_run_today_shows_as_missed(only_these_jobs, operator) -> None:
    job, _ = counting_job(every=None, daily_at=time(2, 0), window=timedelta(hours=2))
    registry.register_job(job)
    services.tick(datetime(2026, 11, 18, 17, 30, tzinfo=UTC), "w1")  # ran on the 19th (JST)
    services.tick(datetime(2026, 11, 20, 20, 0, tzinfo=UTC), "w1")  # back two days later
    missed = JobRun.objects.get(status="missed")
    assert missed.slot == datetime(2026, 11, 19, 17, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_the_jobs_page_is_for_permitted_roles(operator) -> None:
    client = Client()
    sign_in(client, operator)
    assert client.get("/scheduler/").status_code == 200
    other = Client()
    sign_in(other, make_user("nobody"))
    assert other.get("/scheduler/").status_code == 403


def test_cron_slots_follow_the_local_time_zone() -> None:
    job, _ = counting_job(every=None, cron="0 2 * * mon-fri")
    friday_morning = datetime(2026, 11, 20, 0, 30, tzinfo=UTC)  # Friday 09:30 in Tokyo
    assert job.slot(friday_morning, "Asia/Tokyo") == datetime(2026, 11, 19, 17, 0, tzinfo=UTC)
    exactly = datetime(2026, 11, 19, 17, 0, tzinfo=UTC)
    assert job.slot(exactly, "Asia/Tokyo") == exactly
    # Monday 02:00 JST follows Friday's run: the weekend has no slot
    assert job.next_slot(friday_morning, "Asia/Tokyo") == datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
    monday = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
    assert job.previous_slot(monday, "Asia/Tokyo") == exactly
    assert job.schedule_text == "cron 0 2 * * mon-fri"


def test_a_bad_cron_expression_is_refused() -> None:
    with pytest.raises(ValueError, match="not a cron expression"):
        counting_job(every=None, cron="every tuesday")


@pytest.mark.django_db
def test_a_cron_job_runs_once_per_fire_time_and_misses_are_recorded(
    only_these_jobs, operator
) -> None:
    job, calls = counting_job(every=None, cron="*/10 * * * *", window=timedelta(minutes=2))
    registry.register_job(job)
    services.tick(datetime(2026, 11, 20, 0, 0, 30, tzinfo=UTC), "w1")
    services.tick(datetime(2026, 11, 20, 0, 5, 0, tzinfo=UTC), "w1")
    assert len(calls) == 1
    services.tick(datetime(2026, 11, 20, 0, 31, 0, tzinfo=UTC), "w1")  # 00:10 and 00:20 missed
    statuses = dict(JobRun.objects.values_list("slot", "status"))
    assert statuses[datetime(2026, 11, 20, 0, 10, tzinfo=UTC)] == "missed"
    assert statuses[datetime(2026, 11, 20, 0, 20, tzinfo=UTC)] == "missed"
    assert statuses[datetime(2026, 11, 20, 0, 30, tzinfo=UTC)] == "succeeded"


def test_the_loop_wakes_just_after_each_slot_however_long_the_tick_took() -> None:
    slot = T0.timestamp() - 5  # 00:00:00
    assert 5.0 < services.until_next_tick(5, slot) < 5.1  # a tick at the slot: wait for the next
    waits = [services.until_next_tick(5, slot + took) for took in (0.2, 1.4, 4.9)]
    assert [round(slot + took + wait, 2) for took, wait in zip((0.2, 1.4, 4.9), waits)] == [
        round(slot + 5.05, 2)
    ] * 3
