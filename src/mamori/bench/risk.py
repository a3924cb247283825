"""Risk engine benchmark: ranking a register and counting its heat map (ISM 16).

``--risks`` random ratings on the starter 5×5 criteria are ranked for treatment with
:func:`mamori.engines.risk.rank` and counted into a heat map with
:func:`mamori.engines.risk.heat_map`. The baseline is the way a register is usually computed in
the database: the ratings in an SQLite table joined to the criteria grid, ranked with ORDER BY
(level, likelihood × impact, impact, likelihood) and counted with GROUP BY. Both orders and
counts must be identical. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time

from mamori.engines.risk import Matrix, Rating, default_matrix_data, heat_map, rank


def _baseline(matrix: Matrix, ratings: list[Rating]) -> tuple[list[int], list[list[int]]]:
    db = sqlite3.connect(":memory:")
    db.execute("create table grid (l int, i int, rank int)")
    db.execute("create table risk (id int primary key, l int, i int)")
    db.executemany(
        "insert into grid values (?, ?, ?)",
        [
            (lk, im, matrix.level(lk, im).rank)
            for lk in range(1, len(matrix.likelihood) + 1)
            for im in range(1, len(matrix.impact) + 1)
        ],
    )
    db.executemany(
        "insert into risk values (?, ?, ?)",
        [(n, r.likelihood, r.impact) for n, r in enumerate(ratings)],
    )
    order = [
        row[0]
        for row in db.execute(
            "select risk.id from risk join grid on grid.l = risk.l and grid.i = risk.i "
            "order by grid.rank desc, risk.l * risk.i desc, risk.i desc, risk.l desc, "
            "cast(risk.id as text)"
        )
    ]
    counts = [[0] * len(matrix.impact) for _ in matrix.likelihood]
    for lk, im, n in db.execute("select l, i, count(*) from risk group by l, i"):
        counts[lk - 1][im - 1] = n
    return order, counts


def main(argv: list[str]) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m mamori.bench risk")
    parser.add_argument("--risks", type=int, default=100_000)
    args = parser.parse_args(argv)
    matrix = Matrix.from_data(default_matrix_data())
    chooser = random.Random(8)  # noqa: S311 - benchmark data, not secrets
    ratings = [Rating(chooser.randint(1, 5), chooser.randint(1, 5)) for _ in range(args.risks)]
    t0 = time.perf_counter()
    ranked = rank(matrix, list(enumerate(ratings)))
    counts = heat_map(matrix, ratings)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    order, baseline_counts = _baseline(matrix, ratings)
    theirs = time.perf_counter() - t0
    identical = [int(str(r.key)) for r in ranked] == order and counts == baseline_counts
    figures = {
        "bench": "risk",
        "risks": args.risks,
        "ranked_per_s": round(args.risks / ours),
        "baseline": "sqlite order by + group by",
        "baseline_ranked_per_s": round(args.risks / theirs),
        "ratio": round(theirs / ours, 2),
        "identical": identical,
    }
    print(json.dumps(figures))
    return 0 if identical else 1
