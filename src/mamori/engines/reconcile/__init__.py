"""Daily reconciliation of the book against the chain (ISM 34): the book read and
aggregated (Polars), the comparison per asset and wallet, and the signed statement.

No Django. Chain balances come from :mod:`mamori.engines.chains`.
"""

from mamori.engines.reconcile.anchors import (
    FIGURES,
    FIGURES_ACTION,
    check_against_trusted,
    check_anchors,
    figures,
    statement_checkpoint,
    verified_checkpoint,
)
from mamori.engines.reconcile.book import BookRejected, RowError, read_book, read_rows, totals_of
from mamori.engines.reconcile.compare import (
    BOOK_CATEGORIES,
    CATEGORIES,
    IN_FLIGHT_CATEGORIES,
    AssetOutcome,
    BookTotals,
    ChainReading,
    Status,
    WalletOutcome,
    compare,
)
from mamori.engines.reconcile.statement import (
    FORMAT,
    StatementError,
    canonical,
    check_signature,
    recheck,
    sign_statement,
)

__all__ = [
    "BOOK_CATEGORIES",
    "CATEGORIES",
    "FIGURES",
    "FIGURES_ACTION",
    "FORMAT",
    "IN_FLIGHT_CATEGORIES",
    "AssetOutcome",
    "BookRejected",
    "BookTotals",
    "ChainReading",
    "RowError",
    "StatementError",
    "Status",
    "WalletOutcome",
    "canonical",
    "check_against_trusted",
    "check_anchors",
    "check_signature",
    "compare",
    "figures",
    "read_book",
    "read_rows",
    "recheck",
    "sign_statement",
    "statement_checkpoint",
    "totals_of",
    "verified_checkpoint",
]
