"""Spreadsheet cells that cannot run (OWASP CSV injection): one helper for every export."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mamori.core.exports import read_cell, safe_cell, safe_row


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "'=x", "'"])
def test_text_a_spreadsheet_would_run_gets_a_quote_and_reads_back_as_written(text) -> None:
    assert safe_cell(text) == "'" + text
    assert read_cell(safe_cell(text)) == text


def test_numbers_stay_numbers_and_plain_text_is_left_alone() -> None:
    assert safe_row([-5, Decimal("-1.50"), None, "plain", "a-b"]) == [
        -5,
        Decimal("-1.50"),
        None,
        "plain",
        "a-b",
    ]


def test_a_quote_typed_by_hand_before_ordinary_text_is_kept_on_import() -> None:
    assert read_cell("'quoted") == "'quoted"
    assert read_cell(-5) == -5
