"""Risk criteria and the risk register's arithmetic (ISM ch.4: 13 criteria, 15 analysis,
16 evaluation, 17 treatment, 12-3 monitoring). No Django: the risk app stores, this decides."""

from mamori.engines.risk.matrix import (
    Level,
    Matrix,
    MatrixError,
    RatingError,
    ScaleStep,
    changed_cells,
    default_matrix_data,
)
from mamori.engines.risk.register import (
    Option,
    Ranked,
    Rating,
    heat_map,
    raised,
    rank,
    treatment_problem,
)

__all__ = [
    "Level",
    "Matrix",
    "MatrixError",
    "Option",
    "Ranked",
    "Rating",
    "RatingError",
    "ScaleStep",
    "changed_cells",
    "default_matrix_data",
    "heat_map",
    "raised",
    "rank",
    "treatment_problem",
]
