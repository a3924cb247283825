"""The registers that still cut their lists now page them (issue 25, point 3): the role-grant
history (SRM 8-5), the access reviews (ISM 23-1-3), the risk register (ISM 16) and the API's
reconciliation cases (ISM 34-2); each filters and downloads the filtered rows."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from mamori.accounts.models import AccessReview, Role, RoleAssignment
from mamori.accounts.services import tokens
from tests.conftest import client_for, give, make_user
from tests.risk.test_risk import org, world  # noqa: F401 - the risk fixtures

pytestmark = pytest.mark.django_db


def test_the_role_history_pages_filters_and_downloads(db) -> None:
    admin = give(make_user("hist-admin"), "ciso")
    auditor = Role.objects.get(code="internal_auditor")
    RoleAssignment.objects.bulk_create(
        RoleAssignment(user=make_user(f"p{n:03d}"), role=auditor) for n in range(70)
    )
    client = client_for(admin)
    first = client.get("/accounts/roles/").content.decode()
    history = first.split('id="role-history"')[1]
    assert history.count("<tr") == 51 and "page=2" in history  # 50 rows and a pager
    assert "p069" in client.get("/accounts/roles/?q=p069").content.decode()
    download = client.get(f"/accounts/roles/?role={auditor.code}&export=csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert len(rows) == 71  # the header and every grant of the role, not only a page


def test_every_access_review_is_listed_with_a_pager(db) -> None:
    from datetime import timedelta

    from django.utils import timezone

    person = give(make_user("rev-ciso"), "ciso")
    AccessReview.objects.bulk_create(
        AccessReview(due_at=timezone.now() + timedelta(days=n)) for n in range(60)
    )
    page = client_for(person).get("/accounts/access-reviews/").content.decode()
    listed = page.split('id="reviews"')[1]
    assert listed.count("<tr") == 51 and "page=2" in listed


def test_the_risk_register_filters_and_downloads(world) -> None:  # noqa: F811
    client = client_for(world["sec"])
    mine = client.get("/risk/?owner=owner-yama").content.decode()
    assert "R-2" in mine and ">R-1<" not in mine
    download = client.get("/risk/?stage=residual&export=csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["R-1", "R-2"]


def test_the_api_pages_the_reconciliation_cases(db) -> None:
    from django.utils import timezone

    from mamori.reconciliation.models import Case, Run

    person = give(make_user("case-reader"), "ciso")
    now = timezone.now()
    run = Run.objects.create(trigger="manual", status="difference", day=now.date(), started_at=now)
    Case.objects.bulk_create(
        Case(asset="ETH", wallet="ETH-hot", run=run, difference=-n, opened_at=now)
        for n in range(1, 61)
    )
    issued = tokens.issue("reader", ["reconciliation:read"], 30, person)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    first = api.get("/api/reconciliation/cases").json()
    assert first["count"] == 60 and len(first["items"]) == 50
    assert len(api.get("/api/reconciliation/cases?page=2").json()["items"]) == 10
