"""In Debian's Chromium: sign in with password + TOTP, switch to English and back."""

from __future__ import annotations

import re

import pyotp
import pytest

from tests.conftest import PASSWORD, make_user, totp_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_sign_in_with_totp_switch_language_and_see_the_dashboard(server, browser_page) -> None:
    from playwright.sync_api import expect

    page = browser_page
    user = make_user("hanako")
    page.goto(f"{server.url}/")
    expect(page.get_by_role("heading", name="サインイン")).to_be_visible()
    page.get_by_label("ユーザー名").fill("hanako")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="次へ").click()
    expect(page.get_by_role("heading", name="認証コード")).to_be_visible()
    page.get_by_label("コード").fill(totp_for(user).now())
    page.get_by_role("button", name="サインイン").click()
    expect(page.get_by_role("heading", name="ダッシュボード")).to_be_visible()
    expect(page.locator("#widget-security")).to_contain_text("認証アプリは登録済みです")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("nav")).to_contain_text("My security")
    expect(page.locator("nav")).not_to_contain_text("People and roles")  # she holds no role

    page.get_by_role("button", name="日本語").click()
    expect(page.get_by_role("heading", name="ダッシュボード")).to_be_visible()


def test_a_wrong_code_is_refused_in_the_browser(server, browser_page) -> None:
    from playwright.sync_api import expect

    page = browser_page
    make_user("jiro")
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("ユーザー名").fill("jiro")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="次へ").click()
    page.get_by_label("コード").fill("000000")
    page.get_by_role("button", name="サインイン").click()
    expect(page.get_by_role("alert")).to_contain_text("コードが正しくない")


def test_first_sign_in_enrols_the_authenticator(server, browser_page) -> None:
    from playwright.sync_api import expect

    page = browser_page
    make_user("saburo", enrolled=False)
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("ユーザー名").fill("saburo")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="次へ").click()
    expect(page.get_by_role("heading", name="認証アプリの設定")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("コード").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="確認").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)


def test_an_officer_approves_a_key_holder_grant_in_the_browser(server, browser_page) -> None:
    from playwright.sync_api import expect

    from mamori.accounts.models import Department, Role, RoleAssignment
    from mamori.accounts.services import approvals, roles

    custody = Department.objects.create(code="custody", name_ja="カストディ部", name_en="Custody")
    officer, other, asker = make_user("officer"), make_user("other"), make_user("asker")
    for person in (officer, other):
        RoleAssignment.objects.create(user=person, role=Role.objects.get(code="ciso"))
    request = roles.assign(make_user("newkey"), Role.objects.get(code="key_holder"), custody, asker)
    approvals.decide(request.pk, other, "approve", "vetted")

    page = browser_page
    page.goto(f"{server.url}/accounts/login/")
    page.get_by_label("ユーザー名").fill("officer")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="次へ").click()
    page.get_by_label("コード").fill(totp_for(officer).now())
    page.get_by_role("button", name="サインイン").click()
    page.get_by_role("link", name="承認", exact=True).first.click()
    # the title and the page say what is approved, in Japanese: the role to whom
    page.get_by_role("link", name=re.compile(r"newkey.*付与")).first.click()
    expect(page.locator("#approval-sentence")).to_contain_text("newkey")
    expect(page.locator("#approval-sentence")).to_contain_text(
        Role.objects.get(code="key_holder").name_ja
    )
    page.get_by_label("理由").fill("研修修了を確認")
    page.get_by_role("button", name="承認する").click()
    expect(page.locator("#approval-state")).to_have_text("承認済み")
    assert RoleAssignment.objects.filter(user__username="newkey", role__code="key_holder").exists()
