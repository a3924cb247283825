"""Amounts as people read them: one formatting layer for every page, PDF, export and notice
(ISM 27 custody, ISM 26/27 and 34 reconciliation: figures a person acts on must be legible).

An amount is held in an asset's base units (an ``int``, see :mod:`mamori.core.amounts`); it is
shown in whole coins with the asset's decimals, exactly:

* **Exact, trimmed.** ``40000000000000000000`` wei with 18 decimals is ``40 ETH``;
  ``6417139841`` satoshi with 8 is ``64.17139841 BTC``; one wei is
  ``0.000000000000000001 ETH``. Every significant decimal is shown and trailing zeros are
  dropped (at least 0 decimals): a difference of one base unit never reads as 0. Only
  integer and ``Decimal`` arithmetic is used (:func:`mamori.core.amounts.in_coins`), never a
  float.
* **Grouped per locale.** The integer part is grouped by thousands with the locale's group
  symbol and the fraction follows the locale's decimal symbol (Babel's CLDR data: ``,`` and
  ``.`` for both Japanese and English). The fraction is not grouped.
* **Unit after the number.** ``40 ETH``, for Japanese and English alike; a negative amount
  is ``-40 ETH``.
* **JPY valuation.** Where a price of one whole coin in yen is known (a ``Decimal``), the
  value is shown as ``≈ ¥1,234,567``: rounded half-up to whole yen, grouped like amounts.
* **Base units kept.** Pages put the raw base units in the ``title`` attribute (hover);
  exports write them in a raw column next to the formatted one.
"""

from __future__ import annotations

import decimal
import functools
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_decimal_symbol, get_group_symbol
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from mamori.core.amounts import in_coins

__all__ = [
    "amount_html",
    "coins_text",
    "format_amount",
    "format_jpy",
    "format_yen",
    "grouped",
    "jpy_value",
    "number_text",
    "raw_title",
]

_MINUS = "-"


@functools.lru_cache(maxsize=16)
def _symbols(language: str | None) -> tuple[str, str]:
    """Return the (group, decimal) symbols of ``language`` (Japanese when unknown)."""
    locale = (language or "ja").replace("-", "_")
    try:
        return get_group_symbol(locale), get_decimal_symbol(locale)
    except Exception:  # babel.UnknownLocaleError, a malformed tag: fall back to Japanese
        return get_group_symbol("ja"), get_decimal_symbol("ja")


def grouped(digits: str, group: str = ",") -> str:
    """Return the ASCII ``digits`` (no sign) grouped by thousands with ``group``."""
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return group.join(parts)


def _number(value: Decimal, language: str | None) -> str:
    """Return the finite ``value`` in plain notation, grouped for ``language``."""
    group, point = _symbols(language)
    text = format(value, "f")
    negative = text.startswith(_MINUS)
    whole, _dot, fraction = text.lstrip(_MINUS).partition(".")
    body = grouped(whole, group) + (point + fraction if fraction else "")
    return _MINUS + body if negative and value != 0 else body


def number_text(value: Decimal | int, language: str | None = None) -> str:
    """Return the exact number ``value`` in plain notation (no exponent), its integer part
    grouped for ``language`` (the active one when None): a figure already in whole coins."""
    return _number(Decimal(value), language or get_language())


def coins_text(units: int, decimals: int, language: str | None = None) -> str:
    """Return ``units`` base units as whole coins with the asset's ``decimals``: exact,
    trailing zeros trimmed, the integer part grouped for ``language`` (the active one when
    None): ``coins_text(6417139841, 8)`` is ``"64.17139841"``."""
    return _number(in_coins(int(units), decimals), language or get_language())


def format_amount(
    units: int, decimals: int, code: str, language: str | None = None, *, signed: bool = False
) -> str:
    """Return ``units`` base units of the asset ``code`` as people read them, unit after the
    number: ``format_amount(40 * 10**18, 18, "ETH")`` is ``"40 ETH"``; with ``signed`` a
    positive amount gets a ``+`` (a difference: ``+0.5 BTC``, ``-0.5 BTC``, ``0 BTC``)."""
    plus = "+" if signed and units > 0 else ""
    return f"{plus}{coins_text(units, decimals, language)} {code}"


def jpy_value(units: int, decimals: int, price: Decimal) -> Decimal:
    """Return the yen value of ``units`` base units at ``price`` yen per whole coin, rounded
    half-up to whole yen: the product is exact (a context wide enough for every digit), only
    the final rounding to yen loses anything."""
    coins, price = in_coins(int(units), decimals), Decimal(price)
    digits = len(coins.as_tuple().digits) + len(price.as_tuple().digits) + 2
    context = decimal.Context(prec=max(digits, 28), traps=[decimal.Inexact])
    product = context.multiply(coins, price)
    return product.quantize(
        Decimal(1), rounding=ROUND_HALF_UP, context=decimal.Context(prec=digits)
    )


def format_yen(yen: Decimal, language: str | None = None) -> str:
    """Return the yen amount ``yen`` exactly as ``"¥1,234,567.5"`` (trailing fraction zeros
    trimmed, ``"-¥5"`` when negative), grouped for ``language`` (a threshold in JPY)."""
    value = Decimal(yen)
    whole, _dot, fraction = format(value.copy_abs(), "f").partition(".")
    text = _number(Decimal(f"{whole}.{fraction.rstrip('0') or '0'}"), language or get_language())
    text = text.removesuffix(_symbols(language or get_language())[1] + "0")
    return f"{_MINUS if value < 0 else ''}¥{text}"


def format_jpy(yen: Decimal, language: str | None = None) -> str:
    """Return a valuation ``yen`` (whole yen, see :func:`jpy_value`) as ``"≈ ¥1,234,567"``
    (``"≈ -¥5"`` when negative), grouped for ``language``."""
    return f"≈ {format_yen(yen, language)}"


def raw_title(units: int) -> str:
    """Return the hover text of an amount: its raw base units (translated label)."""
    return _("%(units)s base units") % {"units": int(units)}


def amount_html(
    units: int | None, decimals: int | None, code: str, price: Decimal | None = None
) -> SafeString:
    """Return ``units`` as ``<span class="amount" title="… base units">40 ETH</span>``, with
    ``<small class="amount-jpy">≈ ¥…</small>`` after it when ``price`` is known; an
    em dash when ``units`` is None; the grouped base units and the code, marked as base
    units, when the asset's ``decimals`` are unknown."""
    if units is None:
        return format_html("{}", "—")
    if decimals is None:
        text = _("%(units)s %(code)s base units") % {
            "units": _number(Decimal(int(units)), get_language()),
            "code": code,
        }
        return format_html('<span class="amount" title="{}">{}</span>', raw_title(units), text)
    shown = format_html(
        '<span class="amount" title="{}">{}</span>',
        raw_title(units),
        format_amount(units, decimals, code),
    )
    if price is None:
        return shown
    return format_html(
        '{} <small class="amount-jpy">{}</small>',
        shown,
        format_jpy(jpy_value(units, decimals, price)),
    )
