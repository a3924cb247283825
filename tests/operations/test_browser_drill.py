"""In Debian's Chromium, the system general manager runs a contingency drill end to end
(SRM 5-2): schedules it, starts it (a drill incident he commands), times each step, records a
finding and an action, finishes it — and the drills control counts it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.conftest import give, make_user
from tests.operations.test_plans import _approve
from tests.rulebook.test_browser_rulebook import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_system_general_manager_runs_a_drill_end_to_end_in_the_browser(
    server, browser_page
) -> None:
    from playwright.sync_api import expect

    from mamori.operations.models import ContingencyPlan, PlanDrill
    from mamori.operations.services import drills

    people = {
        "rd": give(make_user("rd-sato"), "representative_director"),
        "sgm": give(make_user("sgm-kato"), "system_general_manager"),
        "ciso": give(make_user("ciso-hara"), "ciso"),
    }
    sgm = people["sgm"]
    # every scenario has an approved plan; the four others were drilled, commanded by the
    # representative director, so only the crypto-asset-leak drill is missing
    for scenario in ContingencyPlan.Scenario.values:
        _approve(scenario, people)
        if scenario == "crypto_asset_leak":
            continue
        done = drills.schedule(scenario, timezone.localdate(), [people["rd"]], [], sgm)
        drills.start(done, people["rd"])
        drills.finish(PlanDrill.objects.get(pk=done.pk), "", people["rd"])
    page, url = browser_page, server.url
    sign_in(page, url, sgm)

    page.goto(f"{url}/operations/drills/")
    form = page.locator("#drill-form")
    form.locator("[name=scenario]").select_option("crypto_asset_leak")
    form.locator("[name=scheduled_for]").fill(timezone.localdate().isoformat())
    form.locator("[name=leaders]").select_option(str(sgm.pk))
    form.locator("button").click()
    expect(page.locator("#drill-status")).to_contain_text("予定")

    page.locator("#start-drill").click()
    expect(page.locator("#drill-incident")).to_contain_text("DRL-")
    expect(page.locator("#commander")).to_contain_text("sgm-kato")
    expect(page.locator("#commanded")).to_contain_text("sgm-kato")

    for _step in range(2):
        page.locator(".step-start").first.click()
        page.locator(".step-finish").first.click()
    expect(page.locator(".step-start")).to_have_count(0)
    expect(page.locator(".step-finish")).to_have_count(0)

    action = page.locator("#action-form")
    action.locator("[name=title]").fill("連絡網の電話番号を更新する")
    action.locator("[name=owner]").select_option(str(sgm.pk))
    action.locator("[name=due_on]").fill(timezone.localdate().isoformat())
    action.locator("button").click()
    expect(page.locator("table.list")).to_contain_text("連絡網の電話番号を更新する")

    page.locator("#finish-form [name=findings]").fill("第一報の文案作成に時間がかかった")
    page.locator("#finish-drill").click()
    expect(page.locator("#drill-status")).to_contain_text("完了")
    expect(page.locator("#findings")).to_contain_text("第一報")

    drill = PlanDrill.objects.get(plan__scenario="crypto_asset_leak")
    assert drill.incident.drill and drill.incident.commander == sgm
    assert all(s["started_at"] and s["finished_at"] for s in drill.step_times)
    assert drill.commands.get().leader == sgm and drill.actions.count() == 1

    page.goto(f"{url}/rulebook/controls/BCP-02/")
    page.get_by_role("button", name="今すぐ実行").click()
    expect(page.locator("body")).to_contain_text("12か月以内に全シナリオの訓練 5 件")
