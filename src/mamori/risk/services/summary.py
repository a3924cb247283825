"""The dashboard's risk summary (ISM 15-1, 16, 20): how many risks sit at each level before
and after treatment, and how many are above the acceptance level at each stage — counted the
way the register ranks them, so the register and the dashboard say the same for a stage."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from mamori.core import charts
from mamori.risk.models import Assessment
from mamori.risk.models.scenarios import STAGES
from mamori.risk.services import scenarios

__all__ = ["Summary", "stage_name", "summary"]


def stage_name(stage: str) -> str:
    """Return a stage as the register and the dashboard name it."""
    return {
        "inherent": _("inherent (no controls)"),
        "current": _("current (before treatment)"),
        "residual": _("residual (after treatment)"),
    }[stage]


@dataclass(frozen=True)
class Summary:
    """Risks above acceptance per stage, the acceptance level's label, and the chart."""

    above: dict[str, int]
    acceptance: str
    svg: SafeString


def summary(assessment: Assessment) -> Summary:
    """Count ``assessment``'s risks per level and stage and draw them side by side."""
    matrix = assessment.matrix.matrix()
    japanese = (get_language() or "ja").startswith("ja")

    def label(level: object) -> str:
        return str(getattr(level, "label_ja" if japanese else "label_en"))

    levels = list(matrix.levels)
    above: dict[str, int] = {}
    series = []
    for stage in STAGES:
        ranked = scenarios.ranking(assessment, stage)
        above[stage] = sum(1 for _s, r in ranked if not r.within_acceptance)
        per_level = {level.code: 0 for level in levels}
        for _s, r in ranked:
            per_level[r.level.code] += 1
        points = [
            charts.Point(
                i,
                Decimal(per_level[level.code]),
                _("%(stage)s, %(level)s: %(n)s")
                % {
                    "stage": stage_name(stage),
                    "level": label(level),
                    "n": per_level[level.code],
                },
            )
            for i, level in enumerate(levels)
        ]
        series.append(charts.Series(stage_name(stage), points))
    acceptance = label(matrix.acceptance_level)
    svg = charts.counts_chart(
        title=_("Risks per level, by stage"),
        categories=[label(level) for level in levels],
        series=series,
        y_title=_("Number of risks"),
        x_title=_("Risk level (accepted up to %(level)s)") % {"level": acceptance},
        kind="risk",
        width=520,
    )
    return Summary(above, acceptance, svg)
