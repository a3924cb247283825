"""The dashboard's risk summary (ISM 15-1, 16, 20; issue 25.5): counts per level before and
after treatment drawn with axes, and "above acceptance" said per stage — the same number the
register shows for that stage — in English and in Japanese."""

from __future__ import annotations

import re

import pytest

from mamori.risk.services import scenarios
from tests.conftest import chart_titles, client_for
from tests.risk.test_risk import org, world

__all__ = ["org", "world"]
pytestmark = pytest.mark.django_db


def _page(client, path: str, language: str) -> str:
    client.cookies["mamori_language"] = language
    return client.get(path, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_the_dashboard_says_the_stage_and_agrees_with_the_register(world) -> None:
    client = client_for(world["sec"])
    matrix = world["assessment"].matrix.matrix()
    english = _page(client, "/", "en")
    widget = english.split('id="widget-risk"')[1].split("</section>")[0]
    for stage, words in (("current", "before treatment"), ("residual", "after treatment")):
        above = sum(
            1 for _s, r in scenarios.ranking(world["assessment"], stage) if not r.within_acceptance
        )
        register = _page(client, f"/risk/?stage={stage}", "en")
        assert register.count(f"{stage} risk above acceptance") == above
        said = re.search(
            rf'id="above-{stage}"><a href="/risk/\?stage={stage}">(\d+) risks? ', widget
        )
        assert said and int(said.group(1)) == above, (stage, widget)
        assert f"above acceptance {words} ({stage})" in widget
    assert "<svg" in widget and "style=" not in widget and "<style" not in widget
    titles = chart_titles(widget)
    assert "Risks per level, by stage" in titles and "Number of risks" in titles
    assert f"Risk level (accepted up to {matrix.acceptance_level.label_en})" in titles
    for legend in ("current (before treatment)", "residual (after treatment)"):
        assert f">{legend}</text>" in widget
    for level in matrix.levels:
        assert f">{level.label_en}</text>" in widget  # a level on the x axis

    japanese = _page(client, "/", "ja").split('id="widget-risk"')[1].split("</section>")[0]
    assert "受容水準を超える残留リスク" in japanese and "（対応後）" in japanese
    assert "リスク数" in chart_titles(japanese) and ">現状（対応前）</text>" in japanese
    assert f">{matrix.levels[0].label_ja}</text>" in japanese
    assert "before treatment" not in japanese
