"""Spreadsheet cells that cannot run: every Excel or CSV export writes its values through
``safe_cell`` and every import of such a file reads them back through ``read_cell``.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (OWASP, "CSV Injection"): an asset named ``=HYPERLINK(...)`` would become a
link, a code ``=cmd|' /C calc'!A0`` a command. Such text is written with a single quote in
front, so the cell holds text (openpyxl stores it as a string, not a formula) and shows the
quote to the reader. Text that already starts with a quote gets one more, so ``read_cell``
gives back exactly what was written. Numbers, dates and ``None`` are left as they are: a
negative amount stays a number.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

__all__ = ["FORMULA_STARTS", "read_cell", "safe_cell", "safe_row"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTE = "'"
_ESCAPED = (*FORMULA_STARTS, _QUOTE)

T = TypeVar("T")


def safe_cell(value: T) -> T | str:
    """Return ``value`` ready for a spreadsheet cell: text that a spreadsheet would read as a
    formula (or that starts with a quote) gets a leading single quote; anything else as is."""
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
