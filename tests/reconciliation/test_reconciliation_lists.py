"""The reconciliation runs are paged, sorted, filtered and downloadable (issue 25), not the
latest 20."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from mamori.auditlog.models import Entry
from mamori.reconciliation.models import Case, Run
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db


def a_run(i: int, now) -> Run:
    """The run of day ``i``: every fourth found a difference."""
    status = "difference" if i % 4 == 0 else "matched"
    day = date(2026, 1, 1) + timedelta(days=i)
    return Run(trigger="schedule", status=status, reason=f"run {i}", day=day, started_at=now)


@pytest.fixture
def ran(db):
    """120 daily runs."""
    now = timezone.now()
    Run.objects.bulk_create([a_run(i, now - timedelta(days=120 - i)) for i in range(120)])
    return client_for(give(make_user("ciso-recon"), "ciso"))


def numbers(page: str) -> list[int]:
    section = page.split('id="runs"')[1].split("</section>")[0]
    return [int(n) for n in re.findall(r'/reconciliation/runs/(\d+)/">#', section)]


def test_runs_page_sort_filter_and_download(ran) -> None:
    first = numbers(ran.get("/reconciliation/").content.decode())
    assert len(first) == 50 and first == sorted(first, reverse=True)
    assert len(numbers(ran.get("/reconciliation/?runs-page=3").content.decode())) == 20
    oldest = numbers(ran.get("/reconciliation/?runs-sort=day").content.decode())
    assert oldest == sorted(oldest) and oldest[0] < first[-1]
    differences = numbers(ran.get("/reconciliation/?runs-status=difference").content.decode())
    assert len(differences) == 30
    answer = ran.get("/reconciliation/?runs-status=difference&runs-export=csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == 31 and {row[2] for row in rows[1:]} == {"difference"}
    assert Entry.objects.filter(action="export", object_type="reconciliation.runs").exists()


def cases_shown(page: str) -> list[int]:
    section = page.split('id="cases"')[1].split("</section>")[0]
    return [int(n) for n in re.findall(r'/reconciliation/cases/(\d+)/">#', section)]


def test_cases_open_by_default_paged_filtered_and_downloaded(ran) -> None:
    run = Run.objects.first()
    now = timezone.now()
    Case.objects.bulk_create(
        [
            Case(
                kind="difference",
                run=run,
                asset="BTC" if i % 2 else "ETH",
                difference=i,
                status="closed" if i % 4 == 0 else "open",
                cause="operational_error" if i % 4 == 0 else "unknown",
                opened_at=now,
            )
            for i in range(160)
        ]
    )
    first = cases_shown(ran.get("/reconciliation/").content.decode())
    assert len(first) == 50 and first == sorted(first, reverse=True)
    assert len(cases_shown(ran.get("/reconciliation/?cases-page=3").content.decode())) == 20
    closed = cases_shown(ran.get("/reconciliation/?cases-state=closed").content.decode())
    assert len(closed) == 40
    btc = ran.get("/reconciliation/?cases-asset=BTC&cases-state=all&cases-export=csv")
    rows = list(csv.reader(io.StringIO(btc.content.decode("utf-8-sig"))))
    assert len(rows) == 81 and {row[1] for row in rows[1:]} == {"BTC"}
