"""The outflow chart (ISM 27-2-3) reads on its own: the axis in BTC, times in the local zone,
the limit drawn and named, the halt marked, and a sentence saying why a halted asset's peak
stays below its limit — in Japanese and in English."""

from __future__ import annotations

import re

from mamori.custody.models import Halt
from tests.conftest import client_for
from tests.custody.test_custody import BTC, check, desk

__all__ = ["desk"]


def _chart(client, language: str) -> str:
    client.cookies["mamori_language"] = language
    page = client.get("/custody/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    return page.split('id="charts"')[1].split("</section>")[0]


def test_the_outflow_chart_has_units_local_times_the_limit_and_the_halt_explained(desk) -> None:
    for i in range(5):  # the fifth would make 20 BTC in the hour: refused, and BTC halts
        check(desk["api"], f"d{i}", 4 * BTC, customer=f"x{i}")
    halt = Halt.objects.get()
    local = halt.started_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
    client = client_for(desk["ciso"])

    english = _chart(client, "en")
    assert "<svg" in english and "<style" not in english and "<script" not in english
    assert "style=" not in english  # the strict CSP: no inline style
    assert ">20 BTC</text>" in english  # a y-axis tick in the asset's unit
    assert "Outflow (BTC)" in english  # the axis says its unit
    assert "Time (Asia/Tokyo, JST)" in english  # the time axis says its zone
    assert re.search(r">\d\d:00</text>", english)  # hours on the time axis
    assert "limit 20 BTC" in english  # the threshold, drawn and named
    assert f"halt {local:%H:%M}" in english  # the halt marked at its local time
    assert "Peak 16 BTC in the 1 h window reached 80 % of the 20 BTC limit." in english
    assert f"The halt at {local:%H:%M} (Asia/Tokyo, JST) was started by request d4" in english
    assert "would have brought the total in the window to 20 BTC" in english

    japanese = _chart(client, "ja")
    assert "出金額（BTC）" in japanese and "時刻（Asia/Tokyo, JST）" in japanese
    assert "上限 20 BTC" in japanese and f"停止 {local:%H:%M}" in japanese
    assert "ピーク 16 BTC" in japanese and "80 %" in japanese
    assert "Peak" not in japanese and "limit" not in japanese
