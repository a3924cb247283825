"""Ratings, ranking, treatment rules, heat maps and monitoring steps of a risk register
(ISM 15 analysis, 16 evaluation, 17 treatment, 12-3 monitoring).

Every function takes a :class:`~mamori.engines.risk.matrix.Matrix`: a rating means nothing
without the criteria it was made under.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from mamori.engines.risk.matrix import Level, Matrix

__all__ = [
    "Option",
    "Ranked",
    "Rating",
    "heat_map",
    "raised",
    "rank",
    "treatment_problem",
]


class Option(StrEnum):
    """How a risk is treated (ISM 17: 低減・回避・共有), or accepted within the criteria."""

    REDUCE = "reduce"
    AVOID = "avoid"
    SHARE = "share"
    ACCEPT = "accept"


@dataclass(frozen=True)
class Rating:
    """A likelihood and an impact on the matrix's scales."""

    likelihood: int
    impact: int

    def level(self, matrix: Matrix) -> Level:
        """Return the risk level of this rating under ``matrix``."""
        return matrix.level(self.likelihood, self.impact)


class Ranked(NamedTuple):
    """One risk's place in the order of treatment (1 = first) and why (ISM 16)."""

    key: Hashable
    priority: int
    level: Level
    rating: Rating
    within_acceptance: bool


def _order(matrix: Matrix, rating: Rating) -> tuple[int, int, int, int]:
    level = rating.level(matrix)
    return (-level.rank, -(rating.likelihood * rating.impact), -rating.impact, -rating.likelihood)


def rank(matrix: Matrix, risks: Iterable[tuple[Hashable, Rating]]) -> list[Ranked]:
    """Order risks for treatment: higher level first, then the larger likelihood × impact,
    then the larger impact; equal risks share a priority and are listed by key
    (ISM 16: 優先順位の決定).

    A matrix has few cells, so risks are grouped by cell and only the cells are ordered.
    """
    cells: dict[tuple[int, int], list[tuple[Hashable, Rating]]] = {}
    for key, rating in risks:
        cells.setdefault((rating.likelihood, rating.impact), []).append((key, rating))
    accepted = matrix.acceptance_level.rank
    ordered = sorted(cells.items(), key=lambda cell: _order(matrix, Rating(*cell[0])))
    ranked: list[Ranked] = []
    previous: tuple[int, int, int, int] | None = None
    for (likelihood, impact), members in ordered:
        rating = Rating(likelihood, impact)
        order = _order(matrix, rating)
        if order != previous:
            priority, previous = len(ranked) + 1, order
        level = matrix.level(likelihood, impact)
        within = level.rank <= accepted
        members.sort(key=lambda member: str(member[0]))
        ranked.extend(Ranked(key, priority, level, same, within) for key, same in members)
    return ranked


def heat_map(matrix: Matrix, ratings: Sequence[Rating]) -> list[list[int]]:
    """Return how many risks sit in each cell: ``counts[likelihood-1][impact-1]``."""
    counts = [[0] * len(matrix.impact) for _ in matrix.likelihood]
    for rating in ratings:
        matrix.check(rating.likelihood, rating.impact)
        counts[rating.likelihood - 1][rating.impact - 1] += 1
    return counts


def raised(matrix: Matrix, rating: Rating, steps: int = 1) -> Rating:
    """Return ``rating`` with its likelihood raised ``steps`` (at most to the top of the scale):
    what a breach, a failed control or an incident says about the risk (ISM 12-3)."""
    return Rating(min(len(matrix.likelihood), rating.likelihood + steps), rating.impact)


def treatment_problem(
    matrix: Matrix, option: Option, current: Rating, residual: Rating
) -> str | None:
    """Return why a treatment may not be decided, or None (ISM 17).

    Accepting is for risks already within the acceptance level, and changes nothing; reducing,
    avoiding or sharing must bring the residual risk within it, and never above the current.
    """
    current_level = current.level(matrix)
    residual_level = residual.level(matrix)
    accepted = matrix.acceptance_level
    if option is Option.ACCEPT:
        if current_level.rank > accepted.rank:
            return (
                f"a risk at level {current_level.code} is above the acceptance level "
                f"{accepted.code}: it cannot be accepted without treatment (reduce, avoid or share)"
            )
        if residual != current:
            return "accepting a risk leaves it as it is: the residual rating must equal the current"
        return None
    if residual_level.rank > accepted.rank:
        return (
            f"after treatment the residual risk would still be {residual_level.code}, above the "
            f"acceptance level {accepted.code}: plan more controls until it is within it"
        )
    if residual.likelihood > current.likelihood or residual.impact > current.impact:
        return "a treatment cannot make the residual risk likelier or larger than the current"
    return None
