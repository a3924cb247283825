"""The inbox is paged, sorted, filtered and downloadable (issue 25), not its first 100."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from mamori.auditlog.models import Entry
from mamori.notifications.models import Delivery, Notification
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(db):
    """120 notifications to one person: every fourth critical."""
    person = make_user("inbox-owner")
    now = timezone.now()
    made = Notification.objects.bulk_create(
        [
            Notification(
                topic="test.lists",
                severity="critical" if i % 4 == 0 else "info",
                title_ja=f"通知 n{i:03d}",
                title_en=f"note n{i:03d}",
                levels=[],
                created_at=now - timedelta(minutes=120 - i),
                level_started_at=now,
            )
            for i in range(120)
        ]
    )
    in_app = {"level": 0, "channel": Delivery.Channel.IN_APP, "user": person}
    Delivery.objects.bulk_create(
        [Delivery(notification=n, next_attempt_at=now, **in_app) for n in made]
    )
    return client_for(person)


def titles(page: str) -> list[str]:
    return re.findall(r"通知 (n\d{3})</a>", page)


def test_pages_of_fifty_and_the_rest(inbox) -> None:
    first = inbox.get("/notifications/").content.decode()
    assert titles(first)[:2] == ["n119", "n118"] and len(titles(first)) == 50
    assert "page=2" in first
    assert titles(inbox.get("/notifications/?page=3").content.decode()) == [
        f"n{i:03d}" for i in range(19, -1, -1)
    ]


def test_sort_filter_search(inbox) -> None:
    oldest = titles(inbox.get("/notifications/?sort=created_at").content.decode())
    assert oldest[:2] == ["n000", "n001"]
    critical = titles(inbox.get("/notifications/?severity=critical").content.decode())
    assert len(critical) == 30
    assert titles(inbox.get("/notifications/?q=n07").content.decode()) == [
        f"n07{i}" for i in range(9, -1, -1)
    ]


def test_the_csv_holds_exactly_the_filtered_rows(inbox) -> None:
    answer = inbox.get("/notifications/?severity=critical&export=csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == 31
    assert Entry.objects.filter(action="export", object_type="notifications.inbox").exists()
