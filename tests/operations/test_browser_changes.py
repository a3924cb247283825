"""In Debian's Chromium, the systems department's manager walks a normal change from plan to
post-change review (SRM 11-3, 20, 22): opens it with its planned dates, asks for the approvals
its stage rules need (decided by two others), advances it stage by stage, records the
acceptance inspection, releases it, and signs the post-change review that shows the incident
raised on the matching engine after the release."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import give, make_user
from tests.rulebook.test_browser_rulebook import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_normal_change_walks_from_plan_to_post_change_review_in_the_browser(
    server, browser_page
) -> None:
    from playwright.sync_api import expect

    from mamori.accounts.models import Department
    from mamori.accounts.services import approvals
    from mamori.operations.models import Change, StageApproval, System
    from mamori.operations.services import incidents

    manager = give(make_user("dsm-tanaka"), "dept_system_manager")
    sgm = give(make_user("sgm-sato"), "system_general_manager")
    ciso = give(make_user("ciso-hara"), "ciso")
    developer = give(make_user("dev-nakamura"), "developer")
    department = Department.objects.get_or_create(
        code="systems", defaults={"name_ja": "システム部", "name_en": "Systems"}
    )[0]
    engine = System.objects.create(
        code="matching-engine",
        name_ja="マッチングエンジン",
        name_en="Matching engine",
        department=department,
        system_manager=manager,
        criticality="high",
    )
    page, url = browser_page, server.url
    sign_in(page, url, manager)

    page.goto(f"{url}/operations/changes/")
    page.locator("#change-add").click()
    form = page.locator("#change-form")
    form.locator("[name=title]").fill("マッチングエンジン リリース 2026.12")
    form.locator("[name=kind]").select_option("normal")
    form.locator("[name=category]").select_option("change")
    form.locator("[name=responsible]").select_option(str(developer.pk))
    form.locator("[name=systems]").select_option(str(engine.pk))
    form.locator("[name=planned_design]").fill(
        (timezone.localdate() - timedelta(days=1)).isoformat()
    )
    form.locator("button").click()
    expect(page.locator("#stage")).to_contain_text("企画")
    expect(page.locator("#slippage")).to_have_text("1")
    expect(page.locator("#blockers")).to_be_visible()

    for stage in ("design", "build", "release"):
        page.locator(f"#ask-{stage}").click()
        expect(page.locator(f"#ask-{stage}")).to_have_count(0)
    for asked in StageApproval.objects.all():
        deciders = (sgm, ciso) if asked.stage == "release" else (sgm,)
        for decider in deciders:
            approvals.decide(asked.approval_id, decider, "approve", "ok")
    page.reload()
    expect(page.locator("#blockers")).to_have_count(0)

    for label in ("設計", "開発", "テスト", "導入時検査"):
        page.locator("#advance").click()
        expect(page.locator("#stage")).to_contain_text(label)

    inspection = page.locator("#inspection-form")
    inspection.locator("[name=artifact_digest]").fill("sha256:" + "ab" * 32)
    inspection.locator("[name=practical_tests]").fill("本番相当環境で約定・板配信を確認")
    inspection.locator("[name=decision]").select_option("go")
    inspection.locator("button").click()
    expect(page.locator("#inspections")).to_contain_text("実用可")

    page.locator("#advance").click()
    expect(page.locator("#stage")).to_contain_text("リリース")
    page.locator("#advance").click()
    expect(page.locator("#stage")).to_contain_text("変更後レビュー")

    hit = incidents.report("約定遅延", "matching-engine", sgm)
    page.locator("#open-review").click()
    expect(page.locator("#review-incidents")).to_contain_text(hit.reference)
    page.locator("#review-form [name=conclusion]").fill("遅延1件、修正済み。品質は維持。")
    page.locator("#review-sign").click()
    expect(page.locator("#review-status")).to_contain_text("完了")

    page.goto(f"{url}/operations/changes/{Change.objects.get().reference}/")
    page.locator("#advance").click()
    change = Change.objects.get()
    assert change.stage == "closed"
    assert change.post_review.signatures[0]["username"] == "dsm-tanaka"
    assert change.inspections.get().decided_by == manager
