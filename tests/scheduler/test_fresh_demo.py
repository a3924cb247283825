"""A fresh demo raises no false alarm (issue 25, point 6): no 'job late' warning for the
first run of a daily job whose slot began before the scheduler knew it, and SCH-01 (the
jobs ran on time) is not red right after the demo starts."""

from __future__ import annotations

import pytest

from mamori.core.demo import load_demo
from mamori.notifications.models import Notification
from mamori.rulebook.models import ControlRun
from mamori.scheduler import services
from mamori.scheduler.models import JobRun

pytestmark = pytest.mark.django_db


def test_a_fresh_demo_raises_no_job_late_alarm_and_sch01_is_not_red() -> None:
    load_demo()
    services.tick()  # the worker's first tick as the demo starts serving
    assert not Notification.objects.filter(topic__startswith="scheduler.").exists(), list(
        Notification.objects.filter(topic__startswith="scheduler.").values_list(
            "title_en", flat=True
        )
    )
    assert not JobRun.objects.exclude(status=JobRun.Status.SUCCEEDED).filter(manual=False).exists()
    latest = ControlRun.objects.filter(control__code="SCH-01").first()
    assert latest is not None and latest.outcome == ControlRun.Outcome.PASS, (
        latest and latest.summary_en
    )


def test_the_jobs_page_shows_slots_in_local_time_and_schedules_in_japanese(client) -> None:
    from datetime import UTC, datetime, time, timedelta

    from mamori.accounts.models import Role, RoleAssignment
    from mamori.scheduler.jobs import Job
    from tests.conftest import make_user, sign_in

    JobRun.objects.create(
        job="approvals.expire",
        slot=datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
        status=JobRun.Status.MISSED,
        error=services.MISSED_ERROR,
    )
    viewer = make_user("viewer")
    role = next(r for r in Role.objects.all() if "scheduler.view" in r.permissions)
    RoleAssignment.objects.create(user=viewer, role=role)
    sign_in(client, viewer)
    page = client.get("/scheduler/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "2026-01-01 09:00:00 JST" in page  # Asia/Tokyo, named
    assert "no run completed within the window" not in page
    assert "every 300 s" not in page
    daily = Job("x", lambda: None, "x", daily_at=time(6, 0), window=timedelta(hours=1))
    assert daily.schedule_text == "毎日 06:00"
