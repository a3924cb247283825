"""The withdrawal address registrations: a paged list on the custody page and in the API, with
the same filters (issue 25)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mamori.accounts.models import ApprovalPolicy, ApprovalRequest
from mamori.accounts.services import tokens
from mamori.custody.models import AllowedAddress, Asset
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(db):
    """120 registrations of BTC addresses by customers c000..c119, every third approved, and
    10 of ETH."""
    ciso = give(make_user("ciso-allow"), "ciso")
    assets = [
        Asset.objects.create(code=code, name=code, chain=chain, decimals=8, responsible=ciso)
        for code, chain in (("BTC", "bitcoin"), ("ETH", "ethereum"))
    ]
    now = timezone.now()
    policy = ApprovalPolicy.objects.first()
    asks = ApprovalRequest.objects.bulk_create(
        [
            ApprovalRequest(
                kind="test.address",
                requester=ciso,
                title=f"address {i}",
                policy=policy,
                policy_version=1,
                policy_definition={},
                snapshot={},
                snapshot_sha256="0" * 64,
                created_at=now,
                expires_at=now + timedelta(days=1),
            )
            for i in range(130)
        ]
    )
    AllowedAddress.objects.bulk_create(
        [
            AllowedAddress(
                customer=f"c{i:03d}",
                asset=assets[0] if i < 120 else assets[1],
                address=f"addr-{i:03d}",
                status="approved" if i % 3 == 0 else "pending",
                requested_at=now - timedelta(minutes=200 - i),
                approval=asks[i],
            )
            for i in range(130)
        ]
    )
    issued = tokens.issue("exchange", ["custody:read"], 30, None)
    return client_for(ciso), Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")


def customers(page: str) -> list[str]:
    section = page.split('id="allowlist"')[1].split("</section>")[0]
    return re.findall(r">(c\d{3})</td>", section)


def test_the_page_lists_fifty_with_a_pager_filters_sorts_and_downloads(registered) -> None:
    page, _ = registered
    first = page.get("/custody/").content.decode()
    assert customers(first)[:2] == ["c129", "c128"] and len(customers(first)) == 50
    assert "allowlist-page=2" in first
    assert len(customers(page.get("/custody/?allowlist-page=3").content.decode())) == 30
    btc = customers(
        page.get("/custody/?allowlist-asset=BTC&allowlist-sort=customer").content.decode()
    )
    assert btc[:2] == ["c000", "c001"]
    answer = page.get(
        "/custody/?allowlist-asset=BTC&allowlist-status=approved&allowlist-export=csv"
    )
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == 41 and {row[1] for row in rows[1:]} == {"BTC"}


def test_the_api_pages_and_filters_like_the_page(registered) -> None:
    _, api = registered
    first = api.get("/api/custody/addresses").json()
    assert first["count"] == 130 and len(first["items"]) == 50
    assert first["items"][0]["customer"] == "c129"
    third = api.get("/api/custody/addresses?page=3").json()
    assert len(third["items"]) == 30
    approved = api.get("/api/custody/addresses?asset=BTC&status=approved&page_size=200").json()
    assert approved["count"] == 40
    assert {row["asset"] for row in approved["items"]} == {"BTC"}
    found = api.get("/api/custody/addresses?q=addr-11&sort=customer").json()
    assert [row["customer"] for row in found["items"]] == [f"c11{i}" for i in range(10)]
    refused = api.get("/api/custody/addresses?status=lost")
    assert refused.status_code == 422
    assert Client().get("/api/custody/addresses").status_code == 401
