"""The compliance trend on the dashboard (SRM 4-3, ISM 4-3): shares of the requirements per
status over the days, counted once a day by the scheduler; with no history yet the chart shows
today's live count and says so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from mamori.rulebook.models import ComplianceSnapshot
from mamori.rulebook.services import trend
from mamori.scheduler.jobs import get_job
from tests.conftest import chart_titles, client_for, give, make_user

pytestmark = pytest.mark.django_db


def _widget(client, language: str) -> str:
    client.cookies["mamori_language"] = language
    page = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    return page.split('id="widget-compliance"')[1].split("</section>")[0]


def test_the_trend_starts_with_today_live_and_grows_a_bar_a_day() -> None:
    ciso = give(make_user("ciso-trend"), "ciso")
    with time_machine.travel(datetime(2026, 12, 5, 5, tzinfo=UTC), tick=False):
        client = client_for(ciso)
        first = _widget(client, "en")
        assert "The status history starts today" in first and "<svg" in first
        titles = chart_titles(first)
        assert "Share of requirements (percent)" in titles and "Day (Asia/Tokyo, JST)" in titles
        for legend in ("compliant", "non-compliant", "not measured"):
            assert f">{legend}</text>" in first
        assert ">100 %</text>" in first and ">12-05</text>" in first
        assert "style=" not in first and "<style" not in first
        job = get_job("rulebook.snapshot_compliance")
        job.func()
        assert _widget(client, "en").count("Only one day of history so far") == 1
    with time_machine.travel(datetime(2026, 12, 6, 5, tzinfo=UTC), tick=False):
        client = client_for(ciso)  # signed in again on the next day
        snapshot = trend.record()
        assert snapshot.day.isoformat() == "2026-12-06"  # the local day
        assert ComplianceSnapshot.objects.count() == 2
        total = sum(getattr(snapshot, bucket) for bucket in trend.BUCKETS)
        english = _widget(client, "en")
        assert "Counted once a day since 2026-12-05." in english
        assert ">12-05</text>" in english and ">12-06</text>" in english
        assert f"of {total} (" in english  # a bar's tooltip: how many of all requirements
        japanese = _widget(client, "ja")
        assert "2026-12-05 から毎日1回集計しています。" in japanese
        assert "要件の割合（%）" in chart_titles(japanese) and ">未測定</text>" in japanese
        assert f"{total}件中" in japanese and "not measured" not in japanese
