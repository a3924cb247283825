"""How fast the machine is while a benchmark runs: the figure to read its others against.

The machines benchmarks run on are shared: the same code has measured two to three times
slower in one hour than in another. Each run therefore times a fixed piece of pure-Python work
(a loop of 20 million additions: about 1 s on this project's 2-core machines in their fast
hours) before and after it, so a figure can be read against the speed it was taken at.
"""

from __future__ import annotations

import time

__all__ = ["LOOP_ADDITIONS", "loop_seconds"]

LOOP_ADDITIONS = 20_000_000


def loop_seconds(additions: int = LOOP_ADDITIONS) -> float:
    """Return the seconds a pure-Python loop of ``additions`` integer additions takes here."""
    begun = time.perf_counter()
    total = 0
    for number in range(additions):
        total += number
    took = time.perf_counter() - begun
    assert total == additions * (additions - 1) // 2  # the work was done
    return took
