"""How fast the machine is while a benchmark runs: the figure to read its others against.

The machines benchmarks run on are shared: the same code has measured two to three times
slower in one hour than in another. Each run therefore times a fixed piece of pure-Python work
(a loop of 20 million additions: about 1 s on this project's 2-core machines in their fast
hours) before and after it, and the disk's flush of a 4 KB write (what each durable commit
waits for: p50 about 0.2 ms, p99 0.3-0.5 ms there), so a figure can be read against the speed
it was taken at.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

__all__ = ["LOOP_ADDITIONS", "fsync_ms", "loop_seconds"]

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


def fsync_ms(folder: Path, writes: int = 200) -> tuple[float, float]:
    """Return the median and 99th percentile, in ms, of ``os.fsync`` after each of ``writes``
    appends of 4 KB to a scratch file in ``folder`` (the disk a benchmark writes to)."""
    took = []
    with tempfile.TemporaryFile(dir=folder) as scratch:
        for _ in range(writes):
            scratch.write(b"\0" * 4096)
            scratch.flush()
            begun = time.perf_counter()
            os.fsync(scratch.fileno())
            took.append((time.perf_counter() - begun) * 1000)
    # the standard library's percentiles, as the audit-log benchmark takes its p99
    return statistics.median(took), statistics.quantiles(took, n=100)[98]
