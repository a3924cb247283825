"""What needs attention is paged, sorted, filtered and downloadable (issue 25): a fresh
rulebook has 118 items (59 reviews overdue, 30 runs late, 29 controls without evidence)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from mamori.auditlog.models import Entry
from mamori.rulebook.services.controls import attention_list
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def codes(page: str) -> list[str]:
    """The control codes listed as needing attention, in order."""
    section = page.split('id="attention"')[1].split("</section>")[0]
    return re.findall(r'<a href="/rulebook/controls/([^/]+)/">', section)


def test_pages_of_fifty_with_a_pager_and_the_rest_on_page_three(people) -> None:
    total = len(attention_list())
    assert total > 100
    client = client_for(people["ciso"])
    first = client.get("/rulebook/").content.decode()
    assert len(codes(first)) == 50
    assert "attention-page=2" in first
    third = client.get("/rulebook/?attention-page=3").content.decode()
    assert len(codes(third)) == min(50, total - 100)


def total_attention() -> int:
    return len(attention_list())


def test_sorting_filtering_and_searching(people) -> None:
    client = client_for(people["ciso"])
    ordered = codes(client.get("/rulebook/?attention-sort=-control").content.decode())
    assert ordered == sorted(ordered, reverse=True)
    assert ordered != codes(client.get("/rulebook/").content.decode())
    late = codes(client.get("/rulebook/?attention-what=run_late").content.decode())
    expected = [a.control.code for a in attention_list() if a.what == "run_late"]
    assert late == expected[:50] and len(expected) < total_attention()
    found = codes(client.get("/rulebook/?attention-q=DOC-CUS-07").content.decode())
    assert found and set(found) == {"DOC-CUS-07"}


def test_the_csv_holds_exactly_the_filtered_rows_and_is_recorded(people) -> None:
    client = client_for(people["ciso"])
    answer = client.get("/rulebook/?attention-what=evidence_missing&attention-export=csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    expected = [a.control.code for a in attention_list() if a.what == "evidence_missing"]
    assert [row[0].split(" ")[0] for row in rows[1:]] == expected
    assert Entry.objects.filter(action="export", object_type="rulebook.attention").count() == 1
    assert client_for(people["nobody"]).get("/rulebook/?attention-export=csv").status_code == 403
