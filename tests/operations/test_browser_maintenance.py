"""In Debian's Chromium, a department system manager plans a maintenance of the matching engine
and announces it; once the CISO approves the notice, a signed-out visitor reads it on the
public status page (SRM 13)."""

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


def test_a_maintenance_planned_and_announced_in_the_browser_reaches_the_status_page(
    server, browser_page
) -> None:
    from playwright.sync_api import expect

    from mamori.accounts.models import Department
    from mamori.guard.services import notices
    from mamori.operations.models import Maintenance, System

    dsm = give(make_user("dsm-b"), "dept_system_manager")
    ciso = give(make_user("ciso-b"), "ciso")
    department, _ = Department.objects.get_or_create(
        code="systems", defaults={"name_ja": "システム部", "name_en": "Systems"}
    )
    engine = System.objects.create(
        code="matching-engine",
        name_ja="マッチングエンジン",
        name_en="Matching engine",
        department=department,
    )
    page, url = browser_page, server.url
    sign_in(page, url, dsm)
    page.goto(f"{url}/operations/maintenance/")
    page.locator("#add-maintenance").click()
    form = page.locator("#maintenance-form")
    form.locator("[name=title_ja]").fill("マッチングエンジンの定期メンテナンス")
    form.locator("[name=title_en]").fill("Matching engine maintenance")
    form.locator("[name=description_ja]").fill("取引を一時停止します。")
    form.locator("[name=description_en]").fill("Trading is paused.")
    form.locator("[name=systems]").select_option(str(engine.pk))
    day = timezone.localdate() + timedelta(days=14)
    form.locator("[name=planned_start]").fill(f"{day.isoformat()}T02:00")
    form.locator("[name=planned_end]").fill(f"{day.isoformat()}T04:00")
    form.locator("button").click()
    expect(page.locator("#maintenance-status")).to_contain_text("計画中")
    page.locator("#announce").click()
    expect(page.locator("#notice-state")).to_contain_text("承認")

    planned = Maintenance.objects.get()
    notices.approve(planned.notice, ciso)
    page.reload()
    expect(page.locator("#maintenance-status")).to_contain_text("告知済み")
    expect(page.locator("#notice-state")).to_contain_text("期限内")

    page.context.clear_cookies()
    page.goto(f"{url}/status/?lang=en")
    expect(page.locator("#current")).to_contain_text("Matching engine maintenance")
    expect(page.locator("body")).not_to_contain_text("dsm-b")
