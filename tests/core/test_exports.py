"""Spreadsheet cells that cannot run (OWASP CSV injection): one helper for every export."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from mamori.core.exports import read_cell, safe_cell, safe_row

TOP = 2**256 - 1
FOUND = 123456789012345678901


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


@settings(max_examples=200, deadline=None)
@given(
    value=st.one_of(
        st.integers(min_value=-TOP, max_value=TOP),
        st.decimals(
            allow_nan=False, allow_infinity=False, places=6, min_value=-(10**24), max_value=10**24
        ),
    )
)
@example(value=FOUND)
@example(value=-FOUND)
@example(value=Decimal("999999999999999999999999.999999"))
def test_a_spreadsheet_cell_keeps_every_digit_of_an_amount(value) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(safe_row([value]))
    body = io.BytesIO()
    book.save(body)
    cell = read_cell(load_workbook(io.BytesIO(body.getvalue())).active["A1"].value)
    assert Decimal(str(cell)) == value
    if len("".join(map(str, Decimal(value).as_tuple().digits)).strip("0")) > 15:
        assert isinstance(cell, str)  # a spreadsheet keeps 15 digits of a number
