"""Spreadsheet cells that cannot run: every Excel or CSV export writes its values through
``safe_cell`` and every import of such a file reads them back through ``read_cell``.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (OWASP, "CSV Injection"): an asset named ``=HYPERLINK(...)`` would become a
link, a code ``=cmd|' /C calc'!A0`` a command. Such text is written with a single quote in
front, so the cell holds text (openpyxl stores it as a string, not a formula) and shows the
quote to the reader. Text that already starts with a quote gets one more, so ``read_cell``
gives back exactly what was written. Numbers, dates and ``None`` are left as they are: a
negative amount stays a number.

A spreadsheet keeps only 15 significant digits of a number (a double): 123456789012345678901
wei would show as 123456789012346000000. A number with more significant digits is therefore
written as its text, every digit kept (a negative one then reads back through ``read_cell``
like any text starting with ``-``).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypeVar

__all__ = ["FORMULA_STARTS", "SPREADSHEET_DIGITS", "read_cell", "safe_cell", "safe_row"]

#: The significant digits a spreadsheet keeps of a number.
SPREADSHEET_DIGITS = 15

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"
_ESCAPED = (*FORMULA_STARTS, _QUOTE)

T = TypeVar("T")


def safe_cell(value: T) -> T | str:
    """Return ``value`` ready for a spreadsheet cell: text that a spreadsheet would read as a
    formula (or that starts with a quote) gets a leading single quote; a number with more
    than ``SPREADSHEET_DIGITS`` significant digits becomes its text; anything else as is."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        exact = Decimal(value)
        significant = "".join(map(str, exact.as_tuple().digits)).strip("0")
        if exact.is_finite() and len(significant) > SPREADSHEET_DIGITS:
            return safe_cell(format(exact, "f"))
    if isinstance(value, str) and value.startswith(_ESCAPED):
        return _QUOTE + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """Return ``values`` as a row of cells, each through ``safe_cell``."""
    return [safe_cell(value) for value in values]


def read_cell(value: T) -> T | str:
    """Return the text ``safe_cell`` was given for a cell read back from one of our exports:
    a leading quote before a formula character (or a quote) is dropped; anything else as is."""
    if isinstance(value, str) and value.startswith(_QUOTE) and value[1:].startswith(_ESCAPED):
        return value[1:]
    return value
