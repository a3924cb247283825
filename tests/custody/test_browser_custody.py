"""In Debian's Chromium: the custody page after a drain (ISM 27-3) — the halt and what caused
it, the outflow chart, the alert acknowledged by the responsible person, the lift asked for on
the page and approved by two other people, one of them on the approval page."""

from __future__ import annotations

import pytest
from django.test import Client

from mamori.accounts.services import approvals, tokens
from mamori.custody.models import Halt
from mamori.custody.services import monitor
from mamori.notifications.models import Notification
from tests.conftest import give, make_user, monitored_btc
from tests.rulebook.test_browser_rulebook import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
BTC = 10**8
ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


def _drain(api: Client) -> None:
    """Five withdrawals of 4 BTC to one address: the fifth reaches the 20 BTC hourly limit."""
    for i in range(5):
        body = {
            "request_id": f"drain-{i}",
            "customer": f"x{i}",
            "asset": "BTC",
            "amount": str(4 * BTC),
            "address": ADDRESS,
        }
        answer = api.post("/api/custody/withdrawals/check", body, content_type="application/json")
        assert answer.status_code == 200, answer.content


def test_a_halt_is_seen_acknowledged_and_lifted_by_two_people_in_the_browser(
    server, browser_page
) -> None:
    from playwright.sync_api import expect

    monitor.reset()
    operator = give(make_user("op-watanabe"), "custody_operator")
    monitored_btc(operator, [("all", "all", "halt", 20 * BTC, 3600)])
    ciso = give(make_user("ciso-ono"), "ciso")
    sgm = give(make_user("sgm-abe"), "system_general_manager")
    issued = tokens.issue("exchange", ["custody:check"], 30, None)
    _drain(Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}"))
    halt = Halt.objects.get(lifted_at__isnull=True)

    page = browser_page
    sign_in(page, server.url, operator)
    page.goto(f"{server.url}/custody/")
    halts = page.locator("#halts")
    expect(halts).to_contain_text("drain-4")  # the event that caused it
    expect(page.locator("#charts svg").first).to_be_visible()
    alert = page.locator("#alerts tr", has_text="停止")
    expect(alert).to_contain_text("未確認")
    alert.get_by_role("button", name="確認する").click()
    expect(page.locator("#alerts tr", has_text="停止")).to_contain_text("op-watanabe")
    assert Notification.objects.get(topic="custody.halt").acknowledged_by == operator

    halts.get_by_label("解除してよい理由").fill("流出の原因を特定し対処済み")
    halts.get_by_role("button", name="解除を依頼").click()
    expect(page.get_by_text("解除には2名の承認が必要です")).to_be_visible()
    halt.refresh_from_db()
    assert halt.lift_request is not None
    assert halt.lift_request.snapshot["reason"] == "流出の原因を特定し対処済み"
    expect(halts.get_by_role("link", name=f"#{halt.lift_request_id}")).to_be_visible()

    officer = page.context.browser.new_context(locale="ja-JP").new_page()
    officer.set_default_timeout(15_000)
    try:
        sign_in(officer, server.url, ciso)
        officer.goto(f"{server.url}/custody/")
        officer.locator("#halts").get_by_role("link", name=f"#{halt.lift_request_id}").click()
        officer.get_by_label("理由").fill("流出元を遮断済み")
        officer.get_by_role("button", name="承認する").click()
        expect(officer.get_by_role("cell", name="流出元を遮断済み")).to_be_visible()  # recorded
        expect(officer.locator("#approval-state")).not_to_have_text("承認済み")  # one of two
        halt.refresh_from_db()
        assert halt.lifted_at is None
        approvals.decide(halt.lift_request_id, sgm, "approve", "agreed")
        officer.goto(f"{server.url}/custody/")
        expect(officer.locator("#halts")).to_contain_text("有効な停止はありません。")
        expect(officer.locator("#halts summary")).to_have_text("解除済みの停止 (1)")
    finally:
        officer.context.close()
    monitor.reset()
