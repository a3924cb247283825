"""The chart module (issue 25.8): pygal's SVG made to obey the strict CSP, its stylesheet
served from the project's static files, round ticks computed exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from mamori.core import charts

STATIC = Path(charts.__file__).parent / "static" / "mamori" / "charts.css"


def test_the_static_stylesheet_is_the_one_pygal_would_embed() -> None:
    assert STATIC.read_text() == charts.stylesheet(), (
        "regenerate: uv run python -m mamori.core.charts > src/mamori/core/static/mamori/charts.css"
    )
    for kind in charts.PALETTES:
        assert f".chart-{kind} .color-0" in STATIC.read_text()


def test_ticks_are_round_and_exact() -> None:
    assert charts.ticks(Decimal(0), Decimal("47.6")) == [Decimal(n) for n in range(0, 60, 10)]
    assert charts.ticks(Decimal("-0.00000003"), Decimal("0.00000001")) == [
        Decimal(n) / 10**8 for n in (-3, -2, -1, 0, 1)
    ]
    assert [str(t) for t in charts.ticks(Decimal(0), Decimal(0))] == ["0", "1"]


def test_a_chart_has_no_inline_style_or_script_and_native_tooltips(settings) -> None:
    settings.TIME_ZONE = "Asia/Tokyo"
    end = datetime(2026, 12, 6, 3, tzinfo=UTC)  # 12:00 in Tokyo
    points = [
        charts.Point(end - timedelta(hours=h), Decimal(h), f"{h} BTC") for h in range(24, -1, -1)
    ]
    svg = charts.time_chart(
        title="BTC",
        series=[charts.Series("total", points)],
        start=end - timedelta(hours=24),
        end=end,
        hours=6,
        y_title="Outflow (BTC)",
        x_title=f"Time ({charts.zone_name(end)})",
        y_text=lambda v: f"{v} BTC",
        limit=charts.Point(None, Decimal(30), "limit 30 BTC"),
        markers=[charts.Marker(end - timedelta(hours=1), "halt 11:00")],
    )
    assert "<style" not in svg and "<script" not in svg and "style=" not in svg
    assert 'class="pygal-chart chart-outflow"' in svg and 'id=""' not in svg
    assert "Asia/Tokyo, JST" in svg
    assert ">12:00</text>" in svg and ">06:00</text>" in svg  # local hours, not UTC
    assert "<title>2026-12-06 12:00 · 0 BTC</title>" in svg  # a point's exact text, local time
    assert ">limit 30 BTC</text>" in svg and ">30 BTC</text>" in svg
