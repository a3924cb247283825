"""The global search (issue 25, point 4): records found by code, name or text, grouped and
linked, only among those the reader's roles let them open (the permission of the records' own
pages), capped with "show all" saying how many, and the same on the API."""

from __future__ import annotations

import pytest
from django.test import Client

from mamori.accounts.models import ApprovalRequest, User
from tests.conftest import client_for, give, make_user
from tests.core.test_my_tasks import _load_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> dict[str, User]:
    _load_demo()
    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def officer(demo) -> Client:
    """A CISO: reads the rulebook, the risk register, custody and reconciliation."""
    return client_for(give(make_user("ciso-kim"), "ciso", "system_general_manager"))


def test_a_control_is_found_by_its_code(officer) -> None:
    page = officer.get("/search/", {"q": "DOC-GOV-07"}).content.decode()
    assert 'id="found-controls"' in page
    assert 'href="/rulebook/controls/DOC-GOV-07/"' in page
    assert "部署の管理状況の記録" in page


def test_a_risk_is_found_by_its_japanese_title(officer) -> None:
    page = officer.get("/search/", {"q": "署名画面の改ざん"}).content.decode()
    assert 'id="found-risks"' in page
    assert "署名画面の改ざんによる誤署名" in page
    assert 'href="/risk/scenarios/' in page


def test_a_risk_is_found_in_english_by_its_english_title(officer) -> None:
    officer.post("/accounts/language/", {"language": "en", "next": "/"})
    page = officer.get("/search/", {"q": "signing a transfer"}).content.decode()
    assert "Signing a transfer other than the one shown" in page
    assert "Risks" in page


def test_people_articles_and_assets_are_found(officer) -> None:
    assert "田中 美咲" in officer.get("/search/", {"q": "tanaka"}).content.decode()
    articles = officer.get("/search/", {"q": "暗号資産"}).content.decode()
    assert 'id="found-articles"' in articles
    assert 'href="/rulebook/node/urn:mamori:jvcea:' in articles
    assets = officer.get("/search/", {"q": "hot-wallet"}).content.decode()
    assert 'id="found-assets"' in assets


def test_many_results_are_capped_with_show_all_saying_how_many(officer) -> None:
    from mamori.rulebook.models import Control

    many = Control.objects.filter(code__icontains="DOC-").count()
    assert many > 5
    page = officer.get("/search/", {"q": "DOC-"}).content.decode()
    assert f"{many} 件すべてを表示" in page
    assert page.count('href="/rulebook/controls/DOC-') == 5
    every = officer.get("/search/", {"q": "DOC-", "in": "controls"}).content.decode()
    assert 'id="found-articles"' not in every
    assert every.count('href="/rulebook/controls/DOC-') == many


def test_the_search_hides_what_the_reader_may_not_open(demo) -> None:
    nobody = client_for(make_user("nobody"))
    for text, group in (("DOC-GOV-07", "controls"), ("署名画面の改ざん", "risks")):
        page = nobody.get("/search/", {"q": text}).content.decode()
        assert f'id="found-{group}"' not in page
        assert "に該当するものはありません" in page
        shown = nobody.get("/search/", {"q": text, "in": group}).content.decode()
        assert f'id="found-{group}"' not in shown
    # an approval request is found only by the people who may open it
    grant = ApprovalRequest.objects.get(kind="accounts.role_grant")
    link = f'href="/accounts/approvals/{grant.pk}/"'
    assert link not in nobody.get("/search/", {"q": f"#{grant.pk}"}).content.decode()
    tanaka = client_for(demo["tanaka"])  # he asked for it
    assert link in tanaka.get("/search/", {"q": f"#{grant.pk}"}).content.decode()


def test_a_one_letter_query_asks_for_more(officer) -> None:
    page = officer.get("/search/", {"q": "R"}).content.decode()
    assert "2 文字以上入力してください。" in page


def test_the_search_api_answers_within_the_readers_permissions(demo, officer) -> None:
    from mamori.accounts.services import tokens

    answer = officer.get("/api/search", {"q": "DOC-GOV-07"})
    assert answer.status_code == 200
    controls = next(g for g in answer.json()["groups"] if g["source"] == "controls")
    assert controls["hits"][0]["url"] == "/rulebook/controls/DOC-GOV-07/"
    assert controls["total"] == 1
    page = officer.get("/api/search", {"q": "DOC-", "source": "controls", "limit": 3, "offset": 3})
    controls = page.json()["groups"][0]
    assert len(controls["hits"]) == 3 and controls["total"] > 6
    assert controls["hits"][0]["code"] > "DOC-"
    nobody = make_user("nobody")
    secret = tokens.issue("search", ["search:read"], 1, nobody).secret
    client = Client(headers={"authorization": f"Bearer {secret}"})
    hidden = client.get("/api/search", {"q": "DOC-GOV-07"})
    assert hidden.status_code == 200
    assert [g["source"] for g in hidden.json()["groups"]] == []
    wrong = tokens.issue("tasks", ["tasks:read"], 1, nobody).secret
    refused = Client(headers={"authorization": f"Bearer {wrong}"}).get(
        "/api/search", {"q": "DOC-GOV-07"}
    )
    assert refused.status_code == 403
    assert officer.get("/api/search", {"q": "R"}).status_code == 422
