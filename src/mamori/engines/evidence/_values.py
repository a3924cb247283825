"""Numbers and strings read from evidence, checked: counts are small non-negative integers and
rates exact decimals, never floats; anything else is refused where it was found."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from mamori.engines.evidence.errors import EvidenceRefused

__all__ = ["as_count", "as_decimal", "as_text"]

_MAX_DIGITS = 18


def as_count(value: object, where: str) -> int:
    """Return ``value`` (an int or its decimal text) as a count in ``0 .. 10**18``."""
    if isinstance(value, bool):
        raise EvidenceRefused("wrong_shape", f"expected a count, got {value!r}", where)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= _MAX_DIGITS:
        number = int(value.strip())
    elif (
        isinstance(value, Decimal)
        and value == value.to_integral_value()
        and abs(value) < 10**_MAX_DIGITS
    ):
        number = int(value)
    else:
        raise EvidenceRefused("wrong_shape", f"expected a count, got {_shown(value)}", where)
    if not 0 <= number < 10**_MAX_DIGITS:
        raise EvidenceRefused("wrong_shape", f"expected a count, got {_shown(value)}", where)
    return number


def as_decimal(value: object, where: str) -> Decimal:
    """Return ``value`` (decimal text or number) as a bounded, finite, non-negative Decimal."""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise EvidenceRefused("wrong_shape", f"expected a number, got {_shown(value)}", where)
    text = str(value).strip()
    try:
        number = Decimal(text) if len(text) <= 40 else Decimal("NaN")
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number < 0 or number.adjusted() > _MAX_DIGITS:
        raise EvidenceRefused("wrong_shape", f"expected a number, got {_shown(value)}", where)
    return number


def as_text(value: object, where: str, *, limit: int = 1000) -> str:
    """Return ``value`` as a string, refused when it is not one; cut to ``limit`` characters."""
    if not isinstance(value, str):
        raise EvidenceRefused("wrong_shape", f"expected a string, got {_shown(value)}", where)
    return value[:limit]


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."
