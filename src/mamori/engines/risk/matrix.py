"""Risk criteria as data: likelihood and impact scales, risk levels, the matrix between them
and the acceptance level (ISM 13-1: リスク受容基準; ISM 15-1: リスクレベルの決定).

A matrix is checked whole when it is read (:meth:`Matrix.from_data`): every problem is named,
so a criteria edit that would not make sense is refused before anything uses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Level",
    "Matrix",
    "MatrixError",
    "RatingError",
    "ScaleStep",
    "changed_cells",
    "default_matrix_data",
]

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_STEPS = 10


class MatrixError(ValueError):
    """Risk criteria that do not hold together; ``problems`` lists each one."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class RatingError(ValueError):
    """A likelihood or impact outside the matrix's scales."""


@dataclass(frozen=True)
class ScaleStep:
    """One step of the likelihood or impact scale, with what it means."""

    value: int
    label_ja: str
    label_en: str
    definition_ja: str = ""
    definition_en: str = ""


@dataclass(frozen=True)
class Level:
    """A risk level (e.g. 低 / low), its colour on heat maps and its rank (1 = lowest)."""

    code: str
    label_ja: str
    label_en: str
    colour: str
    rank: int


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key, "")
    return value.strip() if isinstance(value, str) else ""


def _scale(name: str, raw: Any, problems: list[str]) -> tuple[ScaleStep, ...]:
    if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_STEPS:
        problems.append(f"the {name} scale needs 2 to {MAX_STEPS} steps")
        return ()
    steps = []
    for position, item in enumerate(raw, 1):
        if not isinstance(item, Mapping):
            problems.append(f"{name} step {position} is not a mapping")
            continue
        if item.get("value") != position:
            problems.append(f"{name} step {position} must have the value {position}")
        if not _text(item, "label_ja") or not _text(item, "label_en"):
            problems.append(f"{name} step {position} needs a label in Japanese and English")
        steps.append(
            ScaleStep(
                position,
                _text(item, "label_ja"),
                _text(item, "label_en"),
                _text(item, "definition_ja"),
                _text(item, "definition_en"),
            )
        )
    return tuple(steps)


def _levels(raw: Any, problems: list[str]) -> tuple[Level, ...]:
    if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_STEPS:
        problems.append(f"the matrix needs 2 to {MAX_STEPS} risk levels")
        return ()
    levels = []
    for position, item in enumerate(raw, 1):
        if not isinstance(item, Mapping):
            problems.append(f"risk level {position} is not a mapping")
            continue
        code = _text(item, "code")
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,29}", code):
            problems.append(f"risk level {position}: code {code!r} is not a short lower-case name")
        if not _text(item, "label_ja") or not _text(item, "label_en"):
            problems.append(f"risk level {code or position} needs a label in Japanese and English")
        colour = _text(item, "colour")
        if not _COLOUR.match(colour):
            problems.append(f"risk level {code or position}: colour {colour!r} is not #rrggbb")
        label_ja, label_en = _text(item, "label_ja"), _text(item, "label_en")
        levels.append(Level(code, label_ja, label_en, colour, position))
    codes = [level.code for level in levels]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(f"risk level {code!r} appears twice")
    return tuple(levels)


@dataclass(frozen=True)
class Matrix:
    """Scales, levels (lowest first), the grid ``grid[likelihood-1][impact-1]`` of level codes,
    and the highest level the organisation accepts to hold."""

    likelihood: tuple[ScaleStep, ...]
    impact: tuple[ScaleStep, ...]
    levels: tuple[Level, ...]
    grid: tuple[tuple[str, ...], ...]
    acceptance: str

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Matrix:
        """Read a matrix from stored data; raise :class:`MatrixError` naming every problem."""
        problems: list[str] = []
        likelihood = _scale("likelihood", data.get("likelihood"), problems)
        impact = _scale("impact", data.get("impact"), problems)
        levels = _levels(data.get("levels"), problems)
        codes = {level.code: level.rank for level in levels}
        raw = data.get("grid")
        grid: list[tuple[str, ...]] = []
        if not isinstance(raw, list) or len(raw) != len(likelihood):
            problems.append(f"the grid needs one row per likelihood step ({len(likelihood)})")
        else:
            for l_value, row in enumerate(raw, 1):
                if not isinstance(row, list) or len(row) != len(impact):
                    problems.append(
                        f"grid row for likelihood {l_value} needs one level per impact step "
                        f"({len(impact)})"
                    )
                    continue
                for i_value, cell in enumerate(row, 1):
                    if cell not in codes:
                        problems.append(
                            f"grid cell likelihood {l_value} × impact {i_value}: unknown level "
                            f"{cell!r}"
                        )
                grid.append(tuple(str(cell) for cell in row))
        if not problems:
            for l_value in range(1, len(likelihood) + 1):
                for i_value in range(1, len(impact) + 1):
                    here = codes[grid[l_value - 1][i_value - 1]]
                    if l_value > 1 and here < codes[grid[l_value - 2][i_value - 1]]:
                        problems.append(
                            f"grid cell likelihood {l_value} × impact {i_value} is lower than "
                            "the cell below it: a likelier risk cannot be a lower one"
                        )
                    if i_value > 1 and here < codes[grid[l_value - 1][i_value - 2]]:
                        problems.append(
                            f"grid cell likelihood {l_value} × impact {i_value} is lower than "
                            "the cell to its left: a larger impact cannot be a lower risk"
                        )
        acceptance = data.get("acceptance")
        if acceptance not in codes:
            problems.append(f"the acceptance level {acceptance!r} is not one of the levels")
        if problems:
            raise MatrixError(problems)
        return cls(likelihood, impact, levels, tuple(grid), str(acceptance))

    def to_data(self) -> dict[str, Any]:
        """Return the matrix as stored data (the inverse of :meth:`from_data`)."""
        return {
            "likelihood": [_step_data(s) for s in self.likelihood],
            "impact": [_step_data(s) for s in self.impact],
            "levels": [
                {"code": v.code, "label_ja": v.label_ja, "label_en": v.label_en, "colour": v.colour}
                for v in self.levels
            ],
            "grid": [list(row) for row in self.grid],
            "acceptance": self.acceptance,
        }

    def check(self, likelihood: int, impact: int) -> None:
        """Raise :class:`RatingError` unless both values lie on the scales."""
        if not isinstance(likelihood, int) or not 1 <= likelihood <= len(self.likelihood):
            raise RatingError(
                f"likelihood {likelihood!r} is outside the scale 1–{len(self.likelihood)}"
            )
        if not isinstance(impact, int) or not 1 <= impact <= len(self.impact):
            raise RatingError(f"impact {impact!r} is outside the scale 1–{len(self.impact)}")

    def level(self, likelihood: int, impact: int) -> Level:
        """Return the risk level of a likelihood and an impact (ISM 15-1)."""
        self.check(likelihood, impact)
        return self.by_code(self.grid[likelihood - 1][impact - 1])

    def by_code(self, code: str) -> Level:
        """Return the level called ``code``."""
        for level in self.levels:
            if level.code == code:
                return level
        raise KeyError(code)

    @property
    def acceptance_level(self) -> Level:
        """Return the highest level the organisation accepts to hold (ISM 13-1-1)."""
        return self.by_code(self.acceptance)

    def acceptable(self, likelihood: int, impact: int) -> bool:
        """Return whether a risk so rated is within the acceptance level."""
        return self.level(likelihood, impact).rank <= self.acceptance_level.rank


def _step_data(step: ScaleStep) -> dict[str, Any]:
    return {
        "value": step.value,
        "label_ja": step.label_ja,
        "label_en": step.label_en,
        "definition_ja": step.definition_ja,
        "definition_en": step.definition_en,
    }


def changed_cells(old: Matrix, new: Matrix) -> list[tuple[int, int, str, str]]:
    """Return (likelihood, impact, old level, new level) of every cell whose level differs,
    and of every cell one matrix has and the other lacks (level "")."""
    changes = []
    for l_value in range(1, max(len(old.likelihood), len(new.likelihood)) + 1):
        for i_value in range(1, max(len(old.impact), len(new.impact)) + 1):
            a = _cell(old, l_value, i_value)
            b = _cell(new, l_value, i_value)
            if a != b:
                changes.append((l_value, i_value, a, b))
    return changes


def _cell(matrix: Matrix, likelihood: int, impact: int) -> str:
    if likelihood <= len(matrix.likelihood) and impact <= len(matrix.impact):
        return matrix.grid[likelihood - 1][impact - 1]
    return ""


def default_matrix_data() -> dict[str, Any]:
    """Return a 5×5 starting matrix: five likelihood and impact steps, four levels, the
    acceptance level at "medium"."""
    likelihood = [
        ("極めて低い", "Rare", "10年に1回未満", "less than once in ten years"),
        ("低い", "Unlikely", "10年に1回程度", "about once in ten years"),
        ("中程度", "Possible", "3年に1回程度", "about once in three years"),
        ("高い", "Likely", "年に1回程度", "about once a year"),
        ("極めて高い", "Almost certain", "年に複数回", "several times a year"),
    ]
    impact = [
        ("軽微", "Negligible", "業務・利用者への影響なし", "no effect on business or customers"),
        ("小", "Minor", "一部業務の短時間停止、損失百万円未満", "short partial outage; loss < ¥1m"),
        ("中", "Moderate", "利用者に影響、損失1億円未満", "customers affected; loss < ¥100m"),
        ("大", "Major", "利用者資産の流出、損失10億円未満", "customer assets lost; loss < ¥1bn"),
        ("甚大", "Severe", "事業継続の危機、損失10億円以上", "business at stake; loss ≥ ¥1bn"),
    ]
    levels = [
        ("low", "低", "Low", "#2f9e44"),
        ("medium", "中", "Medium", "#fab005"),
        ("high", "高", "High", "#f76707"),
        ("critical", "極めて高", "Critical", "#c92a2a"),
    ]
    grid = [  # rows: likelihood 1–5; columns: impact 1–5
        ["low", "low", "low", "medium", "high"],
        ["low", "low", "medium", "medium", "high"],
        ["low", "medium", "medium", "high", "high"],
        ["medium", "medium", "high", "high", "critical"],
        ["medium", "high", "high", "critical", "critical"],
    ]
    return {
        "likelihood": [_step_data(ScaleStep(n, *row)) for n, row in enumerate(likelihood, 1)],
        "impact": [_step_data(ScaleStep(n, *row)) for n, row in enumerate(impact, 1)],
        "levels": [
            {"code": code, "label_ja": ja, "label_en": en, "colour": colour}
            for code, ja, en, colour in levels
        ],
        "grid": grid,
        "acceptance": "medium",
    }
