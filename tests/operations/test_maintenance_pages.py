"""The maintenance pages (SRM 13): planned from a form, shown on the month calendar and in a
list that filters and downloads; announced, started and finished from its page; the demo's
matching-engine maintenance is on the public status page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from mamori.accounts.models import Department, User
from mamori.guard.services import notices
from mamori.operations.models import Maintenance, System
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def dsm(db: None) -> User:
    return give(make_user("dsm-tanaka"), "dept_system_manager")


@pytest.fixture
def engine(db: None) -> System:
    department, _ = Department.objects.get_or_create(
        code="systems", defaults={"name_ja": "システム部", "name_en": "Systems"}
    )
    return System.objects.create(
        code="matching-engine",
        name_ja="マッチングエンジン",
        name_en="Matching engine",
        department=department,
    )


def _form(engine: System, start: str, end: str, **extra: str) -> dict[str, object]:
    return {
        "title_ja": "DB の定期メンテナンス",
        "title_en": "Database maintenance",
        "description_ja": "取引を停止します。",
        "description_en": "Trading stops.",
        "kind": "periodic",
        "systems": [engine.pk],
        "planned_start": start,
        "planned_end": end,
        **extra,
    }


def test_a_maintenance_planned_from_the_form_is_on_the_calendar_and_in_the_list(
    english: None, dsm: User, engine: System
) -> None:
    client = client_for(dsm)
    day = timezone.localdate() + timedelta(days=20)
    start, end = f"{day.isoformat()}T02:00", f"{day.isoformat()}T04:00"
    bad = client.post("/operations/maintenance/add/", _form(engine, end, start))
    assert bad.status_code == 200 and Maintenance.objects.count() == 0
    answer = client.post("/operations/maintenance/add/", _form(engine, start, end))
    assert answer.status_code == 302
    planned = Maintenance.objects.get()
    assert timezone.localtime(planned.planned_start).hour == 2
    month = client.get(f"/operations/maintenance/?month={day:%Y-%m}").content.decode()
    assert "DB の定期メンテナンス" in month and f"/operations/maintenance/{planned.pk}/" in month
    assert (
        "Database maintenance"
        not in client.get(
            f"/operations/maintenance/?month={day - timedelta(days=62):%Y-%m}"
        ).content.decode()
    )
    listed = client.get("/operations/maintenance/list/?status=planned").content.decode()
    assert planned.reference in listed
    assert (
        planned.reference
        not in client.get("/operations/maintenance/list/?status=done").content.decode()
    )
    csv = client.get("/operations/maintenance/list/?export=csv").content.decode()
    assert planned.reference in csv and "matching-engine" in csv
    assert client.get("/operations/maintenance/list/?export=xlsx").status_code == 200


def test_a_maintenance_is_announced_started_and_finished_from_its_page(
    english: None, dsm: User, engine: System
) -> None:
    client = client_for(dsm)
    day = timezone.localdate() + timedelta(days=10)
    client.post(
        "/operations/maintenance/add/",
        _form(engine, f"{day.isoformat()}T02:00", f"{day.isoformat()}T03:00"),
    )
    planned = Maintenance.objects.get()
    client.post(f"/operations/maintenance/{planned.pk}/announce/")
    planned.refresh_from_db()
    assert planned.notice is not None and planned.notice.publication == "pending"
    ciso = give(make_user("ciso-kim"), "ciso")
    notices.approve(planned.notice, ciso)
    page = client.get(f"/operations/maintenance/{planned.pk}/").content.decode()
    assert '<span class="status-ok">' in page  # the notice went out in time
    planned.refresh_from_db()
    assert planned.status == "announced" and planned.notice_published_at is not None
    client.post(f"/operations/maintenance/{planned.pk}/start/", {"at": ""})
    client.post(f"/operations/maintenance/{planned.pk}/finish/", {"at": ""})
    planned.refresh_from_db()
    assert planned.status == "done" and planned.actual_end is not None


def test_the_demo_shows_last_months_matching_engine_maintenance_on_the_status_page() -> None:
    from mamori.core.demo import load_demo

    load_demo()
    engine = System.objects.get(code="matching-engine")
    done = Maintenance.objects.get(systems=engine, status="done")
    assert done.planned_start < timezone.now() - timedelta(days=20)
    assert done.planned_start - done.notice_published_at == timedelta(days=7)
    assert done.notice.published_at == done.notice_published_at
    upcoming = Maintenance.objects.get(systems=engine, status="announced")
    assert upcoming.planned_start > timezone.now()
    status = Client().get("/status/?lang=en").content.decode()
    assert "Periodic maintenance of the matching engine" in status
    assert "Upcoming maintenance of the matching engine" in status
    assert done.notice.updates.get(resolves=True).text_en.startswith("This maintenance ended at")
    assert done.notice.resolved  # customers were told it ended
    feed = Calendar.from_ical(Client().get("/status/maintenance.ics?lang=en").content)
    assert len(feed.walk("VEVENT")) == 2
    from mamori.operations.services import maintenance

    assert maintenance.check_started()["raised"] == 0
    from mamori.rulebook.models import Control
    from mamori.rulebook.services.controls import run_control

    assert run_control(Control.objects.get(code="OPS-MNT-01")).outcome == "pass"
    load_demo()  # loading again adds nothing
    assert Maintenance.objects.count() == 2
