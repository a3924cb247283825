"""In Debian's Chromium, signed out: the public status page shows a published notice in
Japanese and in English, each service's state, and never a draft (SRM 10-6-3)."""

from __future__ import annotations

import pytest

from mamori.guard.models import Function
from mamori.guard.services import notices
from tests.conftest import give, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_signed_out_visitor_reads_the_status_page_in_japanese_and_english(
    server, browser_page
) -> None:
    from playwright.sync_api import expect

    author = give(make_user("csirt-b"), "csirt_member")
    ciso = give(make_user("ciso-b"), "ciso")
    login = Function.objects.create(code="login", name_ja="ログイン", name_en="Login")
    Function.objects.create(code="trading", name_ja="取引", name_en="Trading")
    shown = notices.draft(
        kind="incident",
        title_ja="ログインの障害",
        title_en="Login trouble",
        body_ja="ログインしにくい状態です。",
        body_en="Signing in is difficult.",
        services=[(login, "outage")],
        by=author,
    )
    notices.approve(notices.submit(shown, author), ciso)
    notices.draft(
        kind="maintenance",
        title_ja="未承認の保守",
        title_en="Unapproved maintenance",
        body_ja="x",
        body_en="x",
        services=[],
        by=author,
    )
    page = browser_page
    page.goto(f"{server.url}/status/")
    assert "/accounts/login" not in page.url
    expect(page.locator("h1")).to_have_text("サービスの稼働状況")
    current = page.locator("#current")
    expect(current).to_contain_text("ログインの障害")
    expect(current).to_contain_text("ログインしにくい状態です。")
    expect(page.locator("#services")).to_contain_text("障害")
    expect(page.locator("#services")).to_contain_text("正常")
    expect(page.locator("body")).not_to_contain_text("未承認の保守")
    expect(page.locator("body")).not_to_contain_text("csirt-b")
    page.locator("#lang-en").click()
    expect(page.locator("h1")).to_have_text("Service status")
    expect(current).to_contain_text("Login trouble")
    expect(page.locator("#services")).to_contain_text("Outage")
    expect(page.locator("body")).not_to_contain_text("Unapproved maintenance")
    page.locator(f"#notice-{shown.pk} h3 a").click()
    expect(page.locator("#status")).to_contain_text("Signing in is difficult.")
    assert page.url.endswith(f"/status/{shown.pk}/?lang=en")
