"""In Debian's Chromium, people in their roles walk the risk cycle: asset → risk →
treatment → plan approvals (committee, board) → owner's sign-off → heat map (ISM 12–20)."""

from __future__ import annotations

import pytest

from tests.conftest import make_user
from tests.rulebook.test_browser_rulebook import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _page_for(page, url: str, user):
    """A separate browser context per person: each signs in once (a code is used once)."""
    other = page.context.browser.new_context(locale="ja-JP").new_page()
    other.set_default_timeout(15_000)
    sign_in(other, url, user)
    return other


def test_the_risk_cycle_is_walked_in_the_browser_by_people_in_their_roles(
    server, browser_page
) -> None:
    from playwright.sync_api import expect

    from mamori.accounts.models import Role, RoleAssignment
    from mamori.accounts.services import approvals
    from mamori.risk.models import InformationAsset, RiskScenario, SecurityPlan
    from mamori.rulebook.models import Control

    people = {}
    for name, role in (
        ("sec-w", "dept_information_manager"),
        ("owner-w", "risk_owner"),
        ("ciso-w", "ciso"),
        ("sgm-w", "system_general_manager"),
        ("board-w1", "board_member"),
        ("board-w2", "board_member"),
    ):
        people[name] = make_user(name)
        RoleAssignment.objects.create(user=people[name], role=Role.objects.get(code=role))
    sec, owner = people["sec-w"], people["owner-w"]
    page, url = browser_page, server.url

    # the security team starts the assessment and adds an asset
    sign_in(page, url, sec)
    page.goto(f"{url}/risk/")
    page.locator("#start [name=name]").fill("2026年度アセスメント")
    page.locator("#start button").click()
    page.goto(f"{url}/risk/assets/")
    form = page.locator("#asset-form")
    form.locator("[name=code]").fill("hot-keys")
    form.locator("[name=name_ja]").fill("ホットウォレット秘密鍵")
    form.locator("[name=name_en]").fill("Hot-wallet keys")
    form.locator("[name=kind]").select_option("key")
    form.locator("[name=classification]").select_option("secret")
    form.locator("[name=value]").select_option("5")
    form.locator("[name=owner]").select_option(str(owner.pk))
    form.locator("[name=location_kind]").select_option("system")
    form.locator("[name=categories][value=keys]").check()
    form.locator("button").click()
    expect(page.locator("#assets")).to_contain_text("ホットウォレット秘密鍵")

    # ... analyses a risk on it
    page.goto(f"{url}/risk/")
    page.locator("#new-scenario").click()
    form = page.locator("#scenario-form")
    form.locator("[name=code]").fill("R-1")
    form.locator("[name=name_ja]").fill("鍵の窃取による流出")
    form.locator("[name=assets]").select_option(str(InformationAsset.objects.get().pk))
    form.locator("[name=threat]").select_option(label="ホットウォレット秘密鍵の窃取")
    form.locator("[name=owner]").select_option(str(owner.pk))
    form.locator("[name=approach]").select_option("informal")
    form.locator("[name=approach_note]").fill("CSIRT の判断")
    for field, value in (
        ("inherent_likelihood", "4"),
        ("inherent_impact", "5"),
        ("current_likelihood", "3"),
        ("current_impact", "5"),
    ):
        form.locator(f"[name={field}]").select_option(value)
    form.locator("button").click()
    expect(page.locator("#level-current .level")).to_contain_text("high")

    # ... and recommends reducing it with a rulebook control
    form = page.locator("#recommend-form")
    form.locator("[name=option]").select_option("reduce")
    form.locator("[name=recommendation]").fill("2-of-3 マルチシグへ")
    form.locator("[name=controls]").select_option(str(Control.objects.order_by("code")[0].pk))
    form.locator("button").click()
    expect(page.locator("#treatment")).to_contain_text("2-of-3 マルチシグへ")
    assert page.locator("#decide-form").count() == 0  # only the owner decides
    security = page

    # the owner decides; accepting above the acceptance level is refused with the reason
    page = _page_for(security, url, owner)
    scenario = RiskScenario.objects.get(code="R-1")
    page.goto(f"{url}/risk/scenarios/{scenario.pk}/")
    form = page.locator("#decide-form")
    form.locator("[name=option]").select_option("accept")
    form.locator("[name=residual_likelihood]").select_option("3")
    form.locator("[name=residual_impact]").select_option("5")
    form.locator("[name=rationale]").fill("そのまま")
    form.locator("button").click()
    expect(page.locator("main")).to_contain_text("この対応ではリスクが受容水準以内になりません")
    expect(page.locator("main")).to_contain_text("above the acceptance level medium")
    form = page.locator("#decide-form")
    form.locator("[name=option]").select_option("reduce")
    form.locator("[name=residual_likelihood]").select_option("1")
    form.locator("[name=residual_impact]").select_option("4")
    form.locator("[name=rationale]").fill("マルチシグと出金上限で受容水準以内")
    form.locator("button").click()
    expect(page.locator("#decision")).to_contain_text("低減")
    owner_page = page

    # the security team sends the plan; the committee and one board member approve
    security.goto(f"{url}/risk/plans/")
    security.locator("#submit-plan").click()
    expect(security.locator("#versions")).to_contain_text("v1")
    plan = SecurityPlan.objects.get()
    for name in ("ciso-w", "sgm-w", "board-w1"):
        approvals.decide(plan.approval_id, people[name], "approve", "確認済み")

    # the second board member approves in the browser
    page = _page_for(security, url, people["board-w2"])
    page.goto(f"{url}/accounts/approvals/{plan.approval_id}/")
    page.get_by_label("理由").fill("取締役会決議")
    page.get_by_role("button", name="承認する").click()
    expect(page.locator("#approval-state")).to_have_text("承認済み")
    page.context.close()

    # the owner signs off their residual risk after it was explained
    page = owner_page
    page.goto(f"{url}/risk/signoff/")
    expect(page.locator("#mine .residual")).to_contain_text("1×4 medium")
    form = page.locator("#signoff-form")
    form.locator("[name=explained_by]").select_option(str(sec.pk))
    form.locator("[name=understood]").check()
    form.locator("button").click()
    expect(page.locator("#state")).to_have_class("status-ok")

    # the residual heat map shows the risk in its treated cell
    page.goto(f"{url}/risk/")
    cell = page.locator('#heatmap-residual g.cell[data-count="1"]')
    expect(cell).to_have_attribute("data-level", "medium")
    expect(page.locator("#heatmap-inherent g.cell[data-count='1']")).to_have_attribute(
        "data-level", "critical"
    )
    page.context.close()
