"""The chain node reconciliation trusts is chosen by two other people's approval, not by the
person who moves funds alone (page and API); a stale approval is refused; a link-local or
cloud metadata address is refused (SSRF), private and loopback ones are allowed."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from mamori.accounts.models import ApprovalRequest
from mamori.accounts.services import approvals, tokens
from mamori.custody.services import monitor
from mamori.reconciliation.models import ChainNode
from mamori.reconciliation.services import nodes
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db
SECRET_URL = "https://user:s3cret@mainnet.example/v3/abcdef0123456789abcdef?key=zz9-query-secret"


@pytest.fixture
def officers(db):
    """A custody operator who asks, and a CISO and a system general manager who approve."""
    monitor.reset()
    yield {
        "operator": give(make_user("op-mori"), "custody_operator"),
        "ciso": give(make_user("ciso-hara"), "ciso"),
        "sgm": give(make_user("sgm-kato"), "system_general_manager"),
    }
    monitor.reset()


def test_a_node_change_on_the_page_waits_for_two_other_people(officers) -> None:
    page = client_for(officers["operator"])
    asked = page.post(
        "/reconciliation/nodes/",
        {"chain": "ethereum", "family": "evm", "url": SECRET_URL, "confirmations": "2"},
        follow=True,
    )
    shown = asked.content.decode()
    assert "2名の承認が必要です" in shown, shown
    assert (
        "s3cret" not in shown
        and "abcdef0123456789abcdef" not in shown
        and "zz9-query-secret" not in shown
    )
    assert not ChainNode.objects.exists()
    request = ApprovalRequest.objects.get(kind=nodes.KIND)
    assert request.requester == officers["operator"]
    assert request.snapshot["requested"]["url_shown"] == (
        "https://user:***@mainnet.example/v3/***?key=***"
    )
    assert "s3cret" not in approvals.canonical_json(request.snapshot)
    detail = client_for(officers["ciso"]).get(f"/accounts/approvals/{request.pk}/").content.decode()
    assert "https://user:***@mainnet.example/v3/***?key=***" in detail
    assert "s3cret" not in detail
    with pytest.raises(approvals.ApprovalRefused):  # the requester does not approve their own
        approvals.decide(request.pk, officers["operator"], "approve", "mine")
    approvals.decide(request.pk, officers["sgm"], "approve", "agreed")
    assert not ChainNode.objects.exists()  # one approval is not enough
    approvals.decide(request.pk, officers["ciso"], "approve", "agreed")
    node = ChainNode.objects.get(chain="ethereum")
    assert node.url_shown == "https://user:***@mainnet.example/v3/***?key=***"
    assert node.confirmations == 2
    assert nodes.adapter_for(node) is not None


def test_a_node_change_through_the_api_answers_202_and_changes_nothing_yet(officers) -> None:
    nodes.configure("bitcoin", "bitcoin", "http://10.0.0.5:8332")
    issued = tokens.issue("setup", ["custody:admin"], 30, officers["operator"])
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    answer = api.post(
        "/api/reconciliation/nodes",
        {"chain": "bitcoin", "family": "bitcoin", "url": "http://attacker.example:8332"},
        content_type="application/json",
    )
    assert answer.status_code == 202, answer.content
    request = ApprovalRequest.objects.get(pk=answer.json()["approval_request"])
    assert request.kind == "reconciliation.node_change"
    assert ChainNode.objects.get(chain="bitcoin").url_shown == "http://10.0.0.5:8332"
    again = api.post(
        "/api/reconciliation/nodes",
        {"chain": "bitcoin", "family": "bitcoin", "url": "http://other.example:8332"},
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["code"] == "already_requested"
    approvals.decide(request.pk, officers["sgm"], "approve", "ok")
    approvals.decide(request.pk, officers["ciso"], "approve", "ok")
    assert ChainNode.objects.get(chain="bitcoin").url_shown == "http://attacker.example:8332"


def test_a_stale_node_change_is_refused(officers) -> None:
    nodes.configure("ethereum", "evm", "http://10.0.0.5:8545")
    answer = client_for(officers["operator"]).post(
        "/api/reconciliation/nodes",
        {"chain": "ethereum", "family": "evm", "url": "http://10.0.0.6:8545"},
        content_type="application/json",
    )
    assert answer.status_code == 202, answer.content
    request_id = answer.json()["approval_request"]
    call_command("reconcile", "node", "ethereum", "evm", "http://10.0.0.7:8545")  # meanwhile
    approvals.decide(request_id, officers["sgm"], "approve", "ok")
    with pytest.raises(approvals.ApprovalRefused) as refused:
        approvals.decide(request_id, officers["ciso"], "approve", "ok")
    assert refused.value.code == "stale"
    assert ChainNode.objects.get(chain="ethereum").url_shown == "http://10.0.0.7:8545"
    assert ApprovalRequest.objects.get(pk=request_id).status == ApprovalRequest.Status.PENDING


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]:8545/",
        "http://[::ffff:169.254.169.254]/",
        "http://2852039166/",
        "http://metadata/computeMetadata/v1/",
        "http://metadata.google.internal./",
    ],
)
def test_a_link_local_or_metadata_address_is_refused_with_the_reason(officers, url) -> None:
    answer = client_for(officers["operator"]).post(
        "/api/reconciliation/nodes",
        {"chain": "ethereum", "family": "evm", "url": url},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 422, answer.content
    assert answer.json()["code"] == "forbidden_host"
    assert "link-local or cloud metadata" in answer.json()["message"]
    assert not ApprovalRequest.objects.filter(kind=nodes.KIND).exists()
    with pytest.raises(nodes.NodeRefused):
        nodes.check_url(url)
    for allowed in ("http://127.0.0.1:8545", "http://10.0.0.5:8332", "http://[::1]:8545"):
        assert nodes.check_url(allowed) == allowed  # nodes often run on the local network


def test_the_page_says_why_the_metadata_address_is_refused(officers) -> None:
    shown = (
        client_for(officers["operator"])
        .post(
            "/reconciliation/nodes/",
            {
                "chain": "ethereum",
                "family": "evm",
                "url": "http://169.254.169.254/",
                "confirmations": "0",
            },
        )
        .content.decode()
    )
    assert "リンクローカル" in shown, shown
    assert not ChainNode.objects.exists()
