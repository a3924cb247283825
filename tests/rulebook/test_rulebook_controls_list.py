"""The controls list is paged, sorted, filtered and downloadable (issue 25)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from mamori.auditlog.models import Entry
from mamori.rulebook.models import Control
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def codes(page: str) -> list[str]:
    return re.findall(r'<a href="/rulebook/controls/([^/"]+)/">', page)


def test_controls_page_sort_filter_and_download(people) -> None:
    total = Control.objects.count()
    assert total > 50
    client = client_for(people["ciso"])
    first = codes(client.get("/rulebook/controls/").content.decode())
    assert first == sorted(first) and len(first) == 50
    rest = codes(client.get("/rulebook/controls/?page=2").content.decode())
    assert len(rest) == total - 50 and rest[0] > first[-1]
    backwards = codes(client.get("/rulebook/controls/?sort=-code").content.decode())
    assert backwards == sorted(backwards, reverse=True) and backwards[0] != first[0]
    documents = list(Control.objects.filter(kind="document").values_list("code", flat=True))
    shown = codes(client.get("/rulebook/controls/?kind=document").content.decode())
    assert set(shown) <= set(documents) and len(shown) == min(50, len(documents))
    answer = client.get("/rulebook/controls/?kind=document&export=xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == sorted(
        documents
    )
    csv_answer = client.get("/rulebook/controls/?q=DOC-CUS-07&export=csv")
    rows = list(csv.reader(io.StringIO(csv_answer.content.decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == ["DOC-CUS-07"]
    assert Entry.objects.filter(action="export", object_type="rulebook.controls").count() == 2
