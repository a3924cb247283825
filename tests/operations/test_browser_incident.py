"""In Debian's Chromium: a signed-in operator reports an incident from the dashboard's header
in two fields and lands on the incident, which says who commands it (SRM 7-3, ISM 9-3)."""

from __future__ import annotations

import pytest

from tests.conftest import give, make_user
from tests.rulebook.test_browser_rulebook import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_operator_reports_from_the_header_and_lands_on_the_incident(
    server, browser_page
) -> None:
    from playwright.sync_api import expect

    from mamori.operations.models import Incident

    give(make_user("sgm-b"), "system_general_manager")
    operator = give(make_user("op-b"), "operator")
    page, url = browser_page, server.url
    sign_in(page, url, operator)
    page.goto(f"{url}/")
    page.locator("#report-incident").click()
    page.locator("[name=title]").fill("注文APIが500を返す / Order API answers 500")
    page.locator("[name=location]").fill("api-gw-1")
    page.locator("#report-submit").click()
    incident = Incident.objects.get()
    page.wait_for_url(f"**/operations/incidents/{incident.reference}/")
    expect(page.locator("#incident-reference")).to_contain_text(incident.reference)
    expect(page.locator(".messages")).to_contain_text("sgm-b")
    expect(page.locator("#incident-commander")).to_contain_text("sgm-b")
