"""In Debian's Chromium: a policy summary is drafted, approved, and read signed out."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, make_user, totp_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SECTIONS = ("objectives", "actions", "reasons", "scope", "outsourcing", "responsible")


def sign_in(page, url: str, user) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("ユーザー名").fill(user.username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="次へ").click()
    page.get_by_label("コード").fill(totp_for(user).now())
    page.get_by_role("button", name="サインイン").click()


def test_a_policy_summary_is_published_through_approval_and_read_signed_out(
    server, browser_page
) -> None:
    from playwright.sync_api import expect

    from mamori.accounts.models import Role, RoleAssignment
    from mamori.accounts.services import approvals
    from mamori.rulebook.models import PolicyVersion

    ciso, sgm, board = make_user("ciso-b"), make_user("sgm-b"), make_user("board-b")
    for person, role in ((ciso, "ciso"), (sgm, "system_general_manager"), (board, "board_member")):
        RoleAssignment.objects.create(user=person, role=Role.objects.get(code=role))

    page = browser_page
    sign_in(page, server.url, ciso)
    page.get_by_role("link", name="方針の概要").click()
    page.locator("#policy-information-security").get_by_role("link", name="下書きを編集").click()
    for key in SECTIONS:
        page.locator(f"[name={key}_ja]").fill(f"{key} の方針を定めます")
        page.locator(f"[name={key}_en]").fill(f"Our policy on {key}")
    page.get_by_role("button", name="下書きを保存").click()
    expect(page.locator("#policy-status")).to_have_text("下書き")
    page.get_by_role("button", name="公表の承認を依頼").click()
    expect(page.locator("#policy-status")).to_have_text("承認待ち")

    # before approval the public page has nothing to show
    anonymous = page.context.browser.new_context(locale="ja-JP").new_page()
    assert anonymous.goto(f"{server.url}/public/policies/information-security/").status == 404

    request_id = PolicyVersion.objects.get().approval_id
    approvals.decide(request_id, sgm, "approve", "確認済み")  # the first officer, off-screen
    page.get_by_role("button", name="サインアウト").click()
    sign_in(page, server.url, board)
    page.goto(f"{server.url}/accounts/approvals/{request_id}/")
    expect(page.locator("pre.snapshot")).to_contain_text("Our policy on objectives")
    page.get_by_label("理由").fill("取締役会で確認")
    page.get_by_role("button", name="承認する").click()
    expect(page.locator("#approval-state")).to_have_text("承認済み")

    anonymous.goto(f"{server.url}/public/policies/information-security/")
    expect(anonymous.get_by_role("heading", level=1)).to_have_text(
        "情報セキュリティ基本方針（概要）"
    )
    expect(anonymous.locator("main")).to_contain_text("objectives の方針を定めます")
    anonymous.get_by_role("link", name="English").click()
    expect(anonymous.get_by_role("heading", level=1)).to_have_text(
        "Information security basic policy (summary)"
    )
    expect(anonymous.locator("main")).to_contain_text("Our policy on responsible")
    anonymous.context.close()
