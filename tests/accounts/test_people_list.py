"""The people list is paged, sorted, filtered and downloadable (issue 25)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from mamori.accounts.models import Department, Role, RoleAssignment, User
from mamori.auditlog.models import Entry
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    """120 people p000..p119 in two departments; every tenth an operator."""
    ops, risk = (
        Department.objects.create(code=code, name_ja=code, name_en=code) for code in ("ops", "risk")
    )
    made = User.objects.bulk_create(
        [User(username=f"p{i:03d}", department=ops if i % 2 else risk) for i in range(120)]
    )
    operator = Role.objects.get(code="operator")
    RoleAssignment.objects.bulk_create([RoleAssignment(user=u, role=operator) for u in made[::10]])
    return client_for(give(make_user("zz-ciso"), "ciso"))


def names(page: str) -> list[str]:
    return re.findall(r"\((p\d{3})\)</span>", page)


def test_the_people_list_pages_sorts_filters_and_downloads(staff) -> None:
    first = names(staff.get("/accounts/people/?sort=name").content.decode())
    assert first == [f"p{i:03d}" for i in range(50)]
    assert len(names(staff.get("/accounts/people/?sort=name&page=3").content.decode())) == 20
    last = names(staff.get("/accounts/people/?sort=-name").content.decode())
    assert last[0] == "p119"
    ops = names(staff.get("/accounts/people/?department=ops").content.decode())
    assert set(ops) <= {f"p{i:03d}" for i in range(1, 120, 2)} and len(ops) == 50
    operators = names(staff.get("/accounts/people/?role=operator").content.decode())
    assert sorted(operators) == [f"p{i:03d}" for i in range(0, 120, 10)]
    answer = staff.get("/accounts/people/?department=risk&export=csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == 61  # the header and the 60 people of risk (not the CISO: no department)
    assert Entry.objects.filter(action="export", object_type="accounts.people").exists()
