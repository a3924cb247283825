"""Amounts in templates: ``{% load money %}{% amount units asset %}`` or
``{{ units|amount:asset }}`` renders base units as ``<span class="amount"
title="40000000000000000000 base units">40 ETH</span>`` with the asset's decimals, and
``≈ ¥…`` after it when the page's ``prices`` (asset code → yen per whole coin) know the
asset (ISM 27 custody, ISM 34 reconciliation; see :mod:`mamori.core.money`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import template
from django.utils.safestring import SafeString

from mamori.core import money
from mamori.custody.models import Asset

register = template.Library()

_CACHE = "mamori.money.decimals"


def _decimals(asset: Any, cache: dict[str, int | None] | None = None) -> tuple[str, int | None]:
    """Return the code and decimals of ``asset`` (an :class:`Asset` or its code); decimals
    None when no such asset is registered."""
    if isinstance(asset, Asset):
        return asset.code, asset.decimals
    code = str(asset)
    if cache is not None and code in cache:
        return code, cache[code]
    found = Asset.objects.filter(code=code).values_list("decimals", flat=True).first()
    if cache is not None:
        cache[code] = found
    return code, found


def _price(prices: Any, code: str) -> Decimal | None:
    price = prices.get(code) if isinstance(prices, dict) else None
    return Decimal(price) if price is not None else None


@register.simple_tag(takes_context=True, name="amount")
def amount_tag(context: template.Context, units: Any, asset: Any) -> SafeString:
    """Render ``units`` base units of ``asset`` (an Asset or a code); JPY valuation when the
    context's ``prices`` know the asset; an em dash for None."""
    if _CACHE not in context.render_context:
        context.render_context[_CACHE] = {}
    cache = cast("dict[str, int | None]", context.render_context[_CACHE])
    code, decimals = _decimals(asset, cache)
    return money.amount_html(
        None if units in (None, "") else int(units),
        decimals,
        code,
        _price(context.get("prices"), code),
    )


@register.filter(name="amount")
def amount_filter(units: Any, asset: Any) -> SafeString:
    """Render ``units`` base units of ``asset`` (an Asset or a code), without JPY."""
    code, decimals = _decimals(asset)
    return money.amount_html(None if units in (None, "") else int(units), decimals, code)


@register.filter(name="jpy")
def jpy_filter(value: Any) -> str:
    """Render a yen amount (a Decimal) exactly as ``¥1,234,567``, or ``—``."""
    if value in (None, ""):
        return "—"
    return money.format_yen(Decimal(value))


@register.filter(name="coins")
def coins_filter(value: Any, code: Any = "") -> str:
    """Render a figure already in whole coins (a Decimal) grouped, with ``code`` after it."""
    if value in (None, ""):
        return "—"
    text = money.number_text(Decimal(value))
    return f"{text} {code}" if code else text
