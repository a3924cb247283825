"""In Debian's Chromium (issue 25.8): the custody, reconciliation and dashboard charts are
drawn with axes under the strict CSP — no policy violation, no console error — in Japanese
and in English."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mamori.accounts.services import tokens
from mamori.custody.services import monitor
from mamori.reconciliation.models import AssetResult, Run
from mamori.risk.services import criteria
from tests.conftest import give, make_user, monitored_btc
from tests.custody.test_browser_custody import _drain
from tests.rulebook.test_browser_rulebook import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
BTC = 10**8

#: Seen by the page itself: every Content-Security-Policy violation.
WATCH = """document.addEventListener('securitypolicyviolation', e => {
  window.__violations = (window.__violations || []).concat(
    [e.violatedDirective + ' ' + (e.blockedURI || 'inline')]);
});"""


def _world():
    """BTC drained to a halt, a reconciliation difference, a risk assessment; a CISO."""
    monitor.reset()
    operator = give(make_user("op-chart"), "custody_operator")
    monitored_btc(operator, [("all", "all", "halt", 20 * BTC, 3600)])
    issued = tokens.issue("exchange", ["custody:check"], 30, None)
    _drain(Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}"))
    yesterday = timezone.now() - timedelta(days=1)
    run = Run.objects.create(
        trigger="test", day=yesterday.date(), started_at=yesterday, status="difference"
    )
    AssetResult.objects.create(
        run=run, asset="BTC", status="difference", book=0, in_flight=0, difference=-BTC // 2
    )
    ciso = give(make_user("ciso-chart"), "ciso")
    criteria.start_assessment("2026", criteria.default_matrix(), ciso)
    return ciso


def _check(page, url: str, charts: str, texts: list[str]) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    figures = page.locator(charts)
    expect(figures.first).to_be_visible()
    svg = figures.first.locator("svg.pygal-chart")
    expect(svg).to_be_visible()
    assert svg.bounding_box()["width"] > 300
    expect(svg.locator(".axis.y text").first).to_be_visible()  # the value axis is drawn
    for text in texts:
        expect(figures.first).to_contain_text(text)
    assert page.evaluate("window.__violations || []") == []


def test_the_charts_have_axes_and_break_no_policy_in_both_languages(server, browser_page) -> None:
    ciso = _world()
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.add_init_script(WATCH)
    sign_in(page, server.url, ciso)
    _check(page, f"{server.url}/custody/", "#charts figure", ["出金額（BTC）", "上限 20 BTC"])
    _check(page, f"{server.url}/reconciliation/", "#history figure", ["差異（BTC）", "実行なし"])
    _check(page, f"{server.url}/", "#compliance-trend", ["要件の割合（%）", "未測定"])
    _check(page, f"{server.url}/", "#risk-summary", ["リスク数", "残留（対応後）"])
    page.get_by_role("button", name="English").click()
    _check(page, f"{server.url}/custody/", "#charts figure", ["Outflow (BTC)", "limit 20 BTC"])
    _check(page, f"{server.url}/reconciliation/", "#history figure", ["failed run", "no run"])
    _check(page, f"{server.url}/", "#compliance-trend", ["not measured", "compliant"])
    _check(page, f"{server.url}/", "#risk-summary", ["Risks per level, by stage", "Medium"])
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []
