"""The 90-day difference chart (ISM 34) reads on its own: each asset's axis in its coins,
local dates, the zero line, matched days, failed runs and days without a run told apart in
the legend — in Japanese and in English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from mamori.custody.models import Asset
from mamori.reconciliation.models import AssetResult, Run
from tests.conftest import chart_titles, client_for, give, make_user

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 6, 3, tzinfo=UTC)  # 12:00 in Tokyo


def _day(days_ago: int, status: str, difference: int | None) -> None:
    at = NOW - timedelta(days=days_ago)
    run = Run.objects.create(
        trigger="test",
        day=at.date(),
        started_at=at,
        status="failed" if status == "failed" else "difference",
    )
    AssetResult.objects.create(
        run=run, asset="BTC", status=status, book=0, in_flight=0, difference=difference
    )


def _history(language: str) -> str:
    client = client_for(give(make_user(f"auditor-{language}"), "internal_auditor"))
    client.cookies["mamori_language"] = language
    page = client.get("/reconciliation/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    return page.split('id="history"')[1].split("</section>")[0]


@time_machine.travel(NOW, tick=False)
def test_the_difference_chart_has_coins_local_dates_a_zero_line_and_a_legend() -> None:
    Asset.objects.create(code="BTC", name="Bitcoin", chain="bitcoin", decimals=8)
    _day(3, "difference", -150_000_000)  # 1.5 BTC missing
    _day(2, "failed", None)
    _day(1, "matched", 0)

    english = _history("en")
    assert "<svg" in english and "<style" not in english and "style=" not in english
    assert "Difference (BTC)" in chart_titles(english)  # the axis says its unit
    assert "Day (Asia/Tokyo, JST)" in chart_titles(english)  # local days
    assert ">-1.5 BTC</text>" in english and ">0 BTC</text>" in english  # ticks, zero line
    assert ">12-06</text>" in english and ">11-29</text>" in english  # local days, weekly
    for legend in ("difference (on chain − book)", "matched", "failed run", "no run"):
        assert f">{legend}</text>" in english
    assert "<title>2026-12-03: -1.5 BTC</title>" in english  # the exact figure on hover
    assert "<title>2026-12-04: failed run</title>" in english

    japanese = _history("ja")
    assert "差異（BTC）" in chart_titles(japanese) and "日付（Asia/Tokyo, JST）" in chart_titles(
        japanese
    )
    assert ">実行なし</text>" in japanese and ">失敗した実行</text>" in japanese
    assert "2026-12-04: 失敗した実行" in japanese
    assert "no run" not in japanese and "Difference" not in japanese
