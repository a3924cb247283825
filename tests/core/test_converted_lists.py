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


def test_the_approval_history_pages_filters_and_searches(db) -> None:
    """Every approval request the viewer may see is listed, 50 a page; the oldest is on
    page 2; state, kind and words narrow the list (SRM 8-5)."""
    from datetime import timedelta

    from django.utils import timezone

    from mamori.accounts.models import ApprovalPolicy, ApprovalRequest

    ciso = give(make_user("appr-ciso"), "ciso")
    now = timezone.now()
    ApprovalRequest.objects.bulk_create(
        ApprovalRequest(
            kind="test.kind" if n % 2 else "test.other",
            requester=ciso,
            title=f"ask {n:03d}",
            policy=ApprovalPolicy.objects.first(),
            policy_version=1,
            policy_definition={},
            snapshot={},
            snapshot_sha256="0" * 64,
            created_at=now - timedelta(minutes=n),
            expires_at=now + timedelta(days=1),
            status="approved" if n == 64 else "pending",
        )
        for n in range(65)
    )
    client = client_for(ciso)
    first = client.get("/accounts/approvals/history/").content.decode()
    listed = first.split('id="approvals"')[1]
    assert listed.count("<tr") == 51 and "page=2" in listed and "ask 064" not in listed
    assert "ask 064" in client.get("/accounts/approvals/history/?page=2").content.decode()
    approved = client.get("/accounts/approvals/history/?status=approved").content.decode()
    assert "ask 064" in approved and "ask 000" not in approved
    found = client.get("/accounts/approvals/history/?q=ask+007&kind=test.kind").content.decode()
    assert "ask 007" in found and "ask 008" not in found


def test_every_run_of_a_control_is_reachable_on_its_own_pages(people) -> None:
    """A control's page lists its runs 50 a page with its own pager; the oldest run is on
    page 2, and paging the runs leaves the other lists where they were."""
    from datetime import timedelta

    from django.utils import timezone

    from mamori.rulebook.models import Control, ControlRun

    control = Control.objects.exclude(kind="document").first()
    now = timezone.now()
    ControlRun.objects.bulk_create(
        ControlRun(
            control=control,
            started_at=now - timedelta(hours=n),
            finished_at=now - timedelta(hours=n),
            outcome="pass",
            summary_ja=f"実行 {n:03d}",
            summary_en=f"run {n:03d}",
        )
        for n in range(60)
    )
    client = client_for(people["ciso"])
    url = f"/rulebook/controls/{control.code}/"
    first = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "run 000" in first and "run 059" not in first
    assert "runs-page=2" in first and "of 2 (60 rows)" in first
    second = client.get(f"{url}?runs-page=2", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "run 059" in second and "run 000" not in second
