"""Amounts as people read them (issue 25, point 1): whole coins with the asset's decimals,
exact, grouped per locale, the unit after the number, JPY valuation where a price is known,
the base units on hover (ISM 27 custody, ISM 34 reconciliation)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from django.template import Context, Template
from django.utils import translation
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mamori.core import money

TOP = 2**256 - 1
units = st.integers(min_value=-TOP, max_value=TOP)
decimals = st.integers(min_value=0, max_value=30)
languages = st.sampled_from(["ja", "en"])


def oracle(value: int, places: int) -> str:
    """The expected text: Decimal(units).scaleb(-decimals), plain, trailing zeros trimmed,
    the integer part grouped with ","."""
    with localcontext() as context:
        context.prec = 200
        exact = Decimal(value).scaleb(-places)
        text = format(exact, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _dot, fraction = text.partition(".")
    return sign + f"{int(whole):,}" + (f".{fraction}" if fraction else "")


@settings(max_examples=500, deadline=None)
@given(value=units, places=decimals, language=languages)
@example(value=40 * 10**18, places=18, language="ja")
@example(value=6417139841, places=8, language="ja")
@example(value=-40000021000000000000, places=18, language="en")
@example(value=1, places=18, language="ja")
@example(value=-1, places=0, language="ja")
@example(value=0, places=8, language="en")
@example(value=TOP, places=0, language="en")
def test_an_amount_is_its_base_units_scaled_by_the_decimals_exactly(value, places, language):
    assert money.coins_text(value, places, language) == oracle(value, places)
    shown = money.format_amount(value, places, "ETH", language)
    assert shown == f"{oracle(value, places)} ETH"
    # read back, the text is the same number: nothing rounded, nothing lost
    with localcontext() as context:
        context.prec = 200
        assert Decimal(shown.removesuffix(" ETH").replace(",", "")) == Decimal(value).scaleb(
            -places
        )


def test_the_issues_figures_read_as_people_expect() -> None:
    assert money.format_amount(40 * 10**18, 18, "ETH", "ja") == "40 ETH"
    assert money.format_amount(-40000021000000000000, 18, "ETH", "ja") == "-40.000021 ETH"
    assert money.format_amount(6417139841, 8, "BTC", "ja") == "64.17139841 BTC"
    assert money.format_amount(123456789 * 10**8, 8, "BTC", "en") == "123,456,789 BTC"
    assert money.format_amount(1, 18, "ETH", "en") == "0.000000000000000001 ETH"  # never "0"
    assert money.format_amount(5, 0, "XRP", "en", signed=True) == "+5 XRP"
    assert money.format_amount(0, 8, "BTC", "en", signed=True) == "0 BTC"


@settings(max_examples=300, deadline=None)
@given(
    value=units,
    places=decimals,
    price=st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(10**12), places=6),
)
@example(value=6417139841, places=8, price=Decimal("15000000"))
def test_the_jpy_value_is_the_exact_product_rounded_half_up_to_whole_yen(value, places, price):
    with localcontext() as context:
        context.prec = 400
        expected = (Decimal(value).scaleb(-places) * price).quantize(Decimal(1), ROUND_HALF_UP)
    assert money.jpy_value(value, places, price) == expected
    text = money.format_jpy(expected, "ja")
    assert text.startswith("≈ -¥" if expected < 0 else "≈ ¥")
    assert Decimal(text.replace("≈ ", "").replace("¥", "").replace(",", "")) == expected


def test_yen_are_grouped_and_exact() -> None:
    assert money.format_jpy(money.jpy_value(6417139841, 8, Decimal(15000000))) == "≈ ¥962,570,976"
    assert money.format_yen(Decimal("800000000.000000"), "ja") == "¥800,000,000"
    assert money.format_yen(Decimal("1234.500000"), "en") == "¥1,234.5"
    assert money.format_yen(Decimal("-5"), "en") == "-¥5"


@pytest.mark.django_db
def test_the_template_tag_shows_coins_and_keeps_the_base_units_on_hover() -> None:
    from mamori.custody.models import Asset

    Asset.objects.create(code="ETH", name="Ether", chain="ethereum", decimals=18)
    template = Template(
        "{% load money %}{% amount units 'ETH' %}|{{ units|amount:'ETH' }}|{% amount none 'ETH' %}"
        "|{% amount 12345 'ZZZ' %}"
    )
    context = {"units": 40 * 10**18, "none": None, "prices": {"ETH": Decimal("500000")}}
    with translation.override("en"):
        html = template.render(Context(context))
    tag, filtered, empty, unknown = html.split("|")
    assert tag == (
        '<span class="amount" title="40000000000000000000 base units">40 ETH</span> '
        '<small class="amount-jpy">≈ ¥20,000,000</small>'
    )
    assert filtered == '<span class="amount" title="40000000000000000000 base units">40 ETH</span>'
    assert empty == "—"
    assert ">12,345 ZZZ base units<" in unknown
    with translation.override("ja"):
        html = template.render(Context(context))
    assert 'title="40000000000000000000 基本単位"' in html
    assert re.sub(r'title="[^"]*"', "", html).count("40000000000000000000") == 0
