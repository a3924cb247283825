"""The runs are paged, sorted, filtered and downloadable (issue 25); the jobs that run every
few seconds do not flood them, and each job's own history is one filter away."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from mamori.accounts.models import Role, RoleAssignment
from mamori.auditlog.models import Entry
from mamori.scheduler.lists import frequent_jobs
from mamori.scheduler.models import JobRun
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db
HOURLY = "rulebook.run_controls"


@pytest.fixture
def runs(db):
    """120 hourly runs (every fifth failed) and 300 runs of a job that runs every 5 s."""
    fast = frequent_jobs()[0]
    now = timezone.now()
    hourly = [
        JobRun(
            job=HOURLY,
            slot=now - timedelta(hours=i),
            status="failed" if i % 5 == 0 else "succeeded",
        )
        for i in range(120)
    ]
    quick = [
        JobRun(job=fast, slot=now - timedelta(seconds=5 * i), status="succeeded")
        for i in range(300)
    ]
    JobRun.objects.bulk_create(hourly + quick)
    person = make_user("opr-lists")
    RoleAssignment.objects.create(user=person, role=Role.objects.get(code="operator"))
    return client_for(person), fast


def recent(page: str) -> list[str]:
    """The jobs of the rows in the recent runs, in order."""
    section = page.split('id="runs"')[1].split("</section>")[0]
    return re.findall(r"<td >([a-z_]+\.[a-z_]+)</td>|<td>([a-z_]+\.[a-z_]+)</td>", section)


def jobs_of(page: str) -> list[str]:
    return [a or b for a, b in recent(page)]


def test_frequent_jobs_are_left_out_unless_asked_for(runs) -> None:
    client, fast = runs
    first = client.get("/scheduler/").content.decode()
    assert jobs_of(first) == [HOURLY] * 50 and "runs-page=2" in first
    assert jobs_of(client.get("/scheduler/?runs-page=3").content.decode()) == [HOURLY] * 20
    assert set(jobs_of(client.get(f"/scheduler/?runs-job={fast}").content.decode())) == {fast}
    everything = client.get("/scheduler/?runs-every=true").content.decode()
    assert fast in jobs_of(everything)


def test_sort_and_filter_by_state(runs) -> None:
    client, _ = runs
    failed = client.get("/scheduler/?runs-status=failed").content.decode()
    assert jobs_of(failed) == [HOURLY] * 24
    oldest_first = client.get("/scheduler/?runs-sort=slot").content.decode()
    newest_first = client.get("/scheduler/").content.decode()
    slots = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
    section = lambda page: page.split('id="runs"')[1]  # noqa: E731
    assert slots.findall(section(oldest_first))[0] < slots.findall(section(newest_first))[0]


def test_the_csv_holds_exactly_the_filtered_rows(runs) -> None:
    client, _ = runs
    answer = client.get("/scheduler/?runs-status=failed&runs-export=csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == 25 and {row[2] for row in rows[1:]} == {"failed"}
    assert Entry.objects.filter(action="export", object_type="scheduler.runs").exists()
