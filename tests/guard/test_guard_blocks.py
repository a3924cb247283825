"""The block list (SRM 10-2-1, 10-6-1): validated addresses, all-or-nothing bulk adds with
every bad row reported, and what the edge reads — nginx, HAProxy, JSON — through a token only."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from mamori.accounts.models import User
from mamori.accounts.services import tokens
from mamori.guard.models import BlockedSource, ContainmentAction
from mamori.guard.services import blocks
from mamori.operations.models import Incident, IncidentLink, TimelineEntry
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "network"),
    [
        ("203.0.113.7", "203.0.113.7/32"),
        ("198.51.100.0/24", "198.51.100.0/24"),
        ("2001:db8::1", "2001:db8::1/128"),
        ("2001:db8::/48", "2001:db8::/48"),
    ],
)
def test_an_address_or_network_is_kept_in_its_normal_form(text: str, network: str) -> None:
    assert blocks.parse_network(text) == network


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("203.0.113.300", "expected an IP address"),
        ("example.com", "expected an IP address"),
        ("10.1.2.3/8", "host bits set; the network is 10.0.0.0/8"),
        ("0.0.0.0/0", "wider than /8"),
        ("2001::/16", "wider than /32"),
        ("127.0.0.1", "loopback"),
    ],
)
def test_a_bad_address_is_refused_saying_why(english: None, text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why.replace("/", "/").replace(".", r"\.")):
        blocks.parse_network(text)


def test_rows_are_read_one_per_line_with_their_own_reason() -> None:
    rows = blocks.parse_lines("# from the WAF\n203.0.113.7 stuffing\n\n198.51.100.0/24, scan\n")
    assert [(r.line, r.text, r.reason) for r in rows] == [
        (2, "203.0.113.7", "stuffing"),
        (4, "198.51.100.0/24", "scan"),
    ]


def test_a_bulk_add_with_bad_rows_blocks_nothing_and_names_every_bad_row(
    english: None, crew: dict[str, User]
) -> None:
    blocks.block([blocks.Row(1, "192.0.2.1")], "earlier", crew["csirt"])
    rows = blocks.parse_lines(
        "203.0.113.7\nnot-an-ip\n198.51.100.1/24\n203.0.113.7/32\n192.0.2.1\n203.0.113.8"
    )
    with pytest.raises(blocks.BlockRefused) as refused:
        blocks.block(rows, "stuffing", crew["csirt"])
    assert refused.value.code == "bad_rows"
    assert [f.field for f in refused.value.fields] == ["rows.2", "rows.3", "rows.4", "rows.5"]
    messages = [f.message for f in refused.value.fields]
    assert "line 2: expected an IP address" in messages[0]
    assert "host bits set" in messages[1]
    assert "already on line 1" in messages[2]
    assert "192.0.2.1/32 is already blocked" in messages[3]
    assert "4 problem(s)" in refused.value.message
    assert list(BlockedSource.objects.values_list("network", flat=True)) == ["192.0.2.1/32"]


def test_a_good_bulk_add_blocks_every_row_and_records_one_action_on_the_incident(
    crew: dict[str, User], attack: Incident
) -> None:
    made = blocks.block(
        blocks.parse_lines("203.0.113.7\n198.51.100.0/24 scanner"),
        "stuffing",
        crew["csirt"],
        incident=attack,
    )
    assert [(b.network, b.reason) for b in made] == [
        ("203.0.113.7/32", "stuffing"),
        ("198.51.100.0/24", "scanner"),
    ]
    action = ContainmentAction.objects.get()
    assert action.kind == "block" and action.incident == attack
    entry = TimelineEntry.objects.get(incident=attack, kind="containment")
    assert entry.at == action.at and entry.by == crew["csirt"]
    links = IncidentLink.objects.filter(incident=attack, object_type="guard.blockedsource")
    assert links.count() == 2


def test_a_lifted_or_expired_block_leaves_the_edge_files(crew: dict[str, User]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    _kept, lifted = blocks.block(
        blocks.parse_lines("203.0.113.7\n198.51.100.0/24"), "stuffing", crew["csirt"]
    )
    blocks.block(
        [blocks.Row(1, "2001:db8::/48")],
        "scan",
        crew["csirt"],
        expires_at=timezone.now() + timedelta(hours=1),
    )
    blocks.lift(lifted, crew["csirt"], "false positive")
    assert blocks.nginx_deny().splitlines()[1:] == ["deny 203.0.113.7;", "deny 2001:db8::/48;"]
    later = timezone.now() + timedelta(hours=2)
    assert blocks.haproxy_acl(later).splitlines()[1:] == ["203.0.113.7/32"]
    with pytest.raises(blocks.BlockRefused):
        blocks.lift(lifted, crew["csirt"], "again")
    BlockedSource.objects.filter(network="2001:db8::/48").update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    again = blocks.block([blocks.Row(1, "2001:db8::/48")], "back again", crew["csirt"])
    assert again[0].network == "2001:db8::/48"
    assert sorted(b.network for b in blocks.active()) == ["2001:db8::/48", "203.0.113.7/32"]


def _edge(crew: dict[str, User]) -> tuple[str, str]:
    blocks.block(blocks.parse_lines("203.0.113.7\n198.51.100.0/24"), "stuffing", crew["csirt"])
    return (
        tokens.issue("nginx", ["guard:read"], 1, None).secret,
        tokens.issue("other", ["platform:read"], 1, None).secret,
    )


def test_the_edge_reads_nginx_haproxy_and_json_with_its_token(crew: dict[str, User]) -> None:
    secret, _other = _edge(crew)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    nginx = Client().get("/api/guard/blocks/nginx", **auth)
    assert nginx.status_code == 200
    assert nginx["Content-Type"].startswith("text/plain")
    assert nginx.content.decode().splitlines()[1:] == [
        "deny 198.51.100.0/24;",
        "deny 203.0.113.7;",
    ]
    haproxy = Client().get("/api/guard/blocks/haproxy", **auth)
    assert haproxy.content.decode().splitlines()[1:] == ["198.51.100.0/24", "203.0.113.7/32"]
    answer = Client().get("/api/guard/blocks", **auth).json()
    assert [row["network"] for row in answer] == ["198.51.100.0/24", "203.0.113.7/32"]
    assert set(answer[0]) == {"network", "blocked_at", "expires_at"}  # no names, no reasons
    assert "csirt" not in json.dumps(answer)


@pytest.mark.parametrize(
    "url",
    [
        "/api/guard/blocks",
        "/api/guard/blocks/nginx",
        "/api/guard/blocks/haproxy",
        "/api/guard/functions",
    ],
)
def test_edge_endpoints_refuse_a_session_and_a_token_without_the_scope(
    crew: dict[str, User], url: str
) -> None:
    _secret, other = _edge(crew)
    session = Client()
    sign_in(session, crew["ciso"])
    assert session.get(url).status_code == 401
    assert Client().get(url).status_code == 401
    assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 403


def test_the_blocks_page_adds_all_or_nothing_and_shows_every_bad_row(
    english: None, crew: dict[str, User]
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    sign_in(client, crew["csirt"])
    answer = client.post(
        "/guard/blocks/add/",
        {"rows": "203.0.113.7\nbad\n10.0.0.1/8", "reason": "stuffing"},
        follow=True,
    )
    text = answer.content.decode()
    assert "Nothing was blocked" in text
    assert "line 2:" in text and "line 3:" in text
    assert not BlockedSource.objects.exists()
    client.post("/guard/blocks/add/", {"rows": "203.0.113.7\n10.0.0.0/8", "reason": "stuffing"})
    assert BlockedSource.objects.count() == 2
    looker = Client()
    sign_in(looker, crew["operator"])
    assert looker.get("/guard/blocks/").status_code == 200
    refused = looker.post("/guard/blocks/add/", {"rows": "192.0.2.1", "reason": "x"})
    assert refused.status_code == 403
