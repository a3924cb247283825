"""The custody decisions list is paged, sorted, filtered and downloadable (issue 25)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from mamori.auditlog.models import Entry
from mamori.custody.models import MonitorRecord
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def decisions(db):
    """120 held or rejected decisions (every third a rejection) and one plain allow."""
    now = timezone.now()
    MonitorRecord.objects.bulk_create(
        [
            MonitorRecord(
                kind=MonitorRecord.Kind.EVENT,
                event_id=f"ev-{i:03d}",
                row={},
                action="reject" if i % 3 == 0 else "hold",
                reasons=[{"code": "over_limit", "message": f"reason {i}"}],
                recorded_at=now - timedelta(minutes=120 - i),
            )
            for i in range(120)
        ]
        + [
            MonitorRecord(
                kind=MonitorRecord.Kind.EVENT,
                event_id="plain",
                row={},
                action="allow",
                reasons=[],
                recorded_at=now,
            )
        ]
    )
    return client_for(give(make_user("ciso-lists"), "ciso"))


def shown(page: str) -> list[str]:
    """The event ids in the decisions section, in order."""
    section = page.split('id="decisions"')[1].split("</section>")[0]
    return re.findall(r">(ev-\d{3})</td>", section)


def test_pages_of_fifty_with_a_pager(decisions):
    first = decisions.get("/custody/").content.decode()
    assert len(shown(first)) == 50
    assert shown(first)[0] == "ev-119"
    assert "decisions-page=2" in first
    third = decisions.get("/custody/?decisions-page=3").content.decode()
    assert shown(third) == [f"ev-{i:03d}" for i in range(19, -1, -1)]


def test_a_page_out_of_range_or_not_a_number_is_answered_not_refused(decisions):
    for page in ("999", "abc", "100000000000000000000000"):
        answer = decisions.get(f"/custody/?decisions-page={page}")
        assert answer.status_code == 200
        assert shown(answer.content.decode())


def test_the_list_keeps_the_strict_content_policy(decisions):
    section = decisions.get("/custody/").content.decode().split('id="decisions"')[1]
    section = section.split("</section>")[0]
    assert "style=" not in section and "<script" not in section and "onclick" not in section


def test_sorting_by_a_column_changes_the_order(decisions):
    page = decisions.get("/custody/?decisions-sort=event_id").content.decode()
    assert shown(page)[:2] == ["ev-000", "ev-001"]


def test_a_filter_and_the_search_narrow_the_rows(decisions):
    page = decisions.get("/custody/?decisions-action=reject").content.decode()
    assert len(shown(page)) == 40
    page = decisions.get("/custody/?decisions-q=ev-11").content.decode()
    assert shown(page) == [f"ev-{i}" for i in range(119, 109, -1)]


def test_the_csv_holds_exactly_the_filtered_rows_and_is_recorded(decisions):
    answer = decisions.get("/custody/?decisions-action=reject&decisions-export=csv")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == 41  # the header and the 40 rejections, not one page of them
    assert {row[2] for row in rows[1:]} == {"reject"}
    assert "plain" not in answer.content.decode("utf-8-sig")
    entry = Entry.objects.filter(action="export", object_type="custody.decisions").get()
    assert '"rows":40' in entry.body.replace(" ", "")


def test_the_excel_download_and_the_permission(decisions):
    answer = decisions.get("/custody/?decisions-export=xlsx")
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet.max_row == 121
    outsider = client_for(make_user("outsider-lists"))
    assert outsider.get("/custody/?decisions-export=csv").status_code == 403


def test_the_alerts_are_paged_filtered_and_downloadable(decisions):
    from mamori.notifications.models import Notification

    now = timezone.now()
    severities = ["critical", "warning", "info"]
    Notification.objects.bulk_create(
        Notification(
            topic="custody.test",
            severity=severities[i % 3],
            title_ja=f"警報 a{i:03d}",
            title_en=f"alert a{i:03d}",
            levels=[],
            created_at=now + timedelta(days=1, minutes=-i),  # newer than the monitor's own
            level_started_at=now,
        )
        for i in range(120)
    )

    def alerts(query: str) -> list[str]:
        page = decisions.get(f"/custody/{query}").content.decode()
        return re.findall(r"警報 (a\d{3})", page.split('id="alerts"')[1].split("</section>")[0])

    assert alerts("")[:2] == ["a000", "a001"] and len(alerts("")) == 50
    assert len(alerts("?alerts-page=3")) == 20
    assert len(alerts("?alerts-severity=critical")) == 40
    answer = decisions.get("/custody/?alerts-severity=warning&alerts-export=csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len([row for row in rows if row[2].startswith("警報")]) == 40
    assert {row[1] for row in rows[1:]} == {"警告"}
