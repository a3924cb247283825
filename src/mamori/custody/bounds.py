"""Bounds on what the exchange's systems send to custody, checked at the edge (ISM 27).

Every way in — the API, the fast check, the NATS consumer, a replayed file — refuses here,
saying which field and why, before anything is decided or written: an event time the journal
could not read back (year 1 with a +23:59 offset once made every later load of the monitor
fail), an id holding a control or direction-changing character (NUL, U+202E) or of unbounded
length, an amount that is not a whole number of base units below 2^256, a price that is not a
plain positive number of yen within reason.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from django.utils.translation import gettext as _

__all__ = [
    "ADDRESS_MAX",
    "EARLIEST",
    "EVENT_FUTURE",
    "EVENT_PAST",
    "ID_MAX",
    "LATEST",
    "PRICE_DECIMALS",
    "PRICE_MAX",
    "PRICE_MIN",
    "RESERVED_PREFIX",
    "UNITS_MAX",
    "event_time",
    "identifier",
    "price",
    "units",
]

#: An event may be at most this far behind the server's clock when it arrives (the monitor
#: refuses one more than minutes behind the latest accepted event anyway).
EVENT_PAST: Final = timedelta(days=7)
#: ... and at most this far ahead of it (clocks drift; the monitor allows one minute).
EVENT_FUTURE: Final = timedelta(minutes=5)
#: Where the server's clock is not the reference (a file replayed), an event time is within
#: these: no crypto-asset moved before Bitcoin's first block, and the journal must be able to
#: read back every time it holds.
EARLIEST: Final = datetime(2009, 1, 3, tzinfo=UTC)
LATEST: Final = datetime(2100, 1, 1, tzinfo=UTC)
#: The longest id (request, event, customer, withdrawal, wallet) and address accepted.
ID_MAX: Final = 128
ADDRESS_MAX: Final = 200
#: Amounts are whole numbers of base units below 2^256 (an EVM word: no token holds more).
UNITS_MAX: Final = 2**256 - 1
#: A price is yen per whole unit of the asset: digits, at most this many decimals (the
#: monitor values in millionths of a yen), and within these bounds.
PRICE_DECIMALS: Final = 6
PRICE_MIN: Final = Decimal("0.0001")
PRICE_MAX: Final = Decimal("1000000000000")  # one trillion yen per unit
_PRICE: Final = re.compile(rf"[0-9]{{1,13}}(\.[0-9]{{1,{PRICE_DECIMALS}}})?")
_DIGITS: Final = re.compile(r"[0-9]{1,78}")  # 2^256 has 78 digits
_SHOWN: Final = 40  # at most this much of a refused value is repeated in the message


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 1]}…"


def event_time(at: datetime, now: datetime | None, field: str = "at") -> datetime:
    """Return ``at`` if it is timezone-aware and within :data:`EVENT_PAST` before and
    :data:`EVENT_FUTURE` after ``now`` (or, without ``now``, between :data:`EARLIEST` and
    :data:`LATEST`); else raise ``ValueError`` saying why."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(
            _("'%(field)s' needs a time zone (e.g. 2026-11-22T09:00:00+09:00)") % {"field": field}
        )
    if now is None:
        if not EARLIEST <= at < LATEST:
            raise ValueError(
                _("'%(field)s' must be between %(earliest)s and %(latest)s; got %(at)s")
                % {
                    "field": field,
                    "earliest": EARLIEST.date().isoformat(),
                    "latest": LATEST.date().isoformat(),
                    "at": at.isoformat(),
                }
            )
        return at
    if not now - EVENT_PAST <= at <= now + EVENT_FUTURE:
        raise ValueError(
            _(
                "'%(field)s' must be at most %(days)d days before and %(minutes)d minutes after "
                "the server's clock (now %(now)s); got %(at)s"
            )
            % {
                "field": field,
                "days": EVENT_PAST.days,
                "minutes": EVENT_FUTURE.seconds // 60,
                "now": now.astimezone(UTC).isoformat(timespec="seconds"),
                "at": at.isoformat(),
            }
        )
    return at


#: the prefix of the events mamori journals itself (a hold's release or refusal); refused in
#: any identifier the exchange sends, so its events can never stand in for mamori's
RESERVED_PREFIX = "mamori:"


def identifier(value: str, field: str, limit: int = ID_MAX) -> str:
    """Return ``value`` if it is at most ``limit`` characters, all printable (no control,
    format or direction-changing character such as NUL or U+202E); else raise
    ``ValueError`` saying why."""
    if len(value) > limit:
        raise ValueError(
            _("'%(field)s' is %(length)d characters long; at most %(limit)d are allowed")
            % {"field": field, "length": len(value), "limit": limit}
        )
    if value.startswith(RESERVED_PREFIX):
        raise ValueError(
            _("'%(field)s' may not start with %(prefix)s: mamori names its own events so")
            % {"field": field, "prefix": RESERVED_PREFIX}
        )
    if not value.isprintable():
        position, char = next((i, c) for i, c in enumerate(value) if not c.isprintable())
        raise ValueError(
            _(
                "'%(field)s' holds a control or direction-changing character (U+%(code)04X at "
                "position %(position)d); only printable characters are allowed"
            )
            % {"field": field, "code": ord(char), "position": position + 1}
        )
    return value


def units(value: str, field: str = "amount") -> int:
    """Return ``value``, a whole number of base units written in ASCII digits, as an integer
    at most :data:`UNITS_MAX`; else raise ``ValueError`` saying why."""
    if not _DIGITS.fullmatch(value) or int(value) > UNITS_MAX:
        raise ValueError(
            _(
                "'%(field)s' must be a whole number of the asset's base units below 2^256, in "
                "digits only (no fraction, sign or exponent); got %(value)s"
            )
            % {"field": field, "value": _shown(value)}
        )
    return int(value)


def price(value: str, field: str = "jpy") -> Decimal:
    """Return ``value``, yen per whole unit, as a ``Decimal`` if it is written as digits with
    at most :data:`PRICE_DECIMALS` decimals and lies within :data:`PRICE_MIN` and
    :data:`PRICE_MAX`; else raise ``ValueError`` saying why."""
    if not _PRICE.fullmatch(value):
        raise ValueError(
            _(
                "'%(field)s' must be a price in yen per whole unit, in digits with at most "
                "%(decimals)d decimals (no sign or exponent); got %(value)s"
            )
            % {"field": field, "decimals": PRICE_DECIMALS, "value": _shown(value)}
        )
    jpy = Decimal(value)
    if not PRICE_MIN <= jpy <= PRICE_MAX:
        raise ValueError(
            _("'%(field)s' must be between %(low)s and %(high)s yen; got %(value)s")
            % {"field": field, "low": PRICE_MIN, "high": f"{PRICE_MAX:,}", "value": value}
        )
    return jpy
