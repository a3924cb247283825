"""How events are written down: times as integer microseconds, and journal rows, the compact
replayable form of an event (ISM 27-2, 27-3: every decision is kept durably).

A time is an aware datetime as integer microseconds since the epoch, exactly (:func:`micros`).
A journal row is a list: a type number, the event's id, its time in microseconds, then its
fields in order (0 deposit, 1 withdrawal request, 2 cancelled, 3 sent, 4 price, 5 balance,
6 ordered halt, 7 hold released, 8 hold refused). Amounts are integers within 64 bits and
decimal strings beyond (JSON libraries keep 64-bit integers only, and ETH in wei passes that
soon); prices are decimal strings. An event checked against a ``now`` has 10 added to its
type number and ``now`` (µs) appended. Journals written when amounts were always strings
read the same.

:func:`movement_row` makes a deposit's or withdrawal's row from fields already read: the
monitor makes it while deciding (:meth:`~.monitor.Monitor.process` given ``rows``), which
saves reading the event a second time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from mamori.engines.threshold.model import (
    Balance,
    Deposit,
    Event,
    HaltOrder,
    HaltScope,
    HoldRefused,
    HoldReleased,
    Price,
    WithdrawalCancelled,
    WithdrawalRequest,
    WithdrawalSent,
)

__all__ = [
    "checked_row",
    "event_row",
    "from_micros",
    "micros",
    "movement_row",
    "narrow",
    "row_event",
    "span_micros",
    "unchecked_row",
]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
#: Integers outside [_LOWEST, _HIGHEST] are written as strings (orjson's range).
_LOWEST: Final = -(2**63)
_HIGHEST: Final = 2**64 - 1


def from_micros(value: int) -> datetime:
    """Return integer microseconds since the epoch as an aware UTC datetime."""
    return _EPOCH + timedelta(microseconds=value)


def micros(at: datetime) -> int:
    """Return ``at`` as integer microseconds since the epoch (no float)."""
    try:
        delta = at - _EPOCH  # exact: days, seconds and microseconds are integers
    except TypeError:
        if isinstance(at, datetime) and at.tzinfo is None:
            raise ValueError("event times must be timezone-aware") from None
        raise
    days = delta.days
    if days != _DAY[0]:  # the day's microseconds, kept: events mostly share their day
        _DAY[0], _DAY[1] = days, days * 86_400_000_000
    return _DAY[1] + delta.seconds * 1_000_000 + delta.microseconds


#: The last day :func:`micros` converted, and its microseconds since the epoch.
_DAY: Final = [0, 0]


def span_micros(span: timedelta) -> int:
    """Return the length of ``span`` in integer microseconds (a window, a bound)."""
    return micros(_EPOCH + span)


def narrow(row: list[Any]) -> list[Any]:
    """Return ``row`` with every integer too wide for 64 bits as its digits."""
    return [_units(field) if type(field) is int else field for field in row]


def _units(amount: object) -> object:
    """Return ``amount`` as a journal field: the integer, or its text if it is too wide (or
    not an integer: a refused event's amount is kept as it came)."""
    if (type(amount) is int and _LOWEST <= amount <= _HIGHEST) or amount is None:
        return amount
    return str(amount)


def movement_row(
    withdrawal: bool,
    event_id: str,
    t: int,
    customer: object,
    asset: object,
    amount: object,
    address: object,
    now: int | None,
) -> list[Any]:
    """Return the row of a deposit or withdrawal request from its fields (``t`` and ``now``
    in µs; ``address`` is a withdrawal's only). The amount is put as it is, however wide
    (checking its width here cost more than the rest of the row): :func:`narrow` makes a
    row that a JSON library can write, and :class:`~.journal.Journal` uses it when needed."""
    if now is None:
        if withdrawal:
            return [1, event_id, t, customer, asset, amount, address]
        return [0, event_id, t, customer, asset, amount]
    if withdrawal:
        return [11, event_id, t, customer, asset, amount, address, now]
    return [10, event_id, t, customer, asset, amount, now]


def event_row(event: Event) -> list[Any]:
    """Return the row of ``event``."""
    e: Any = event  # one branch per exact type, checked with ``type() is`` for speed
    kind = type(e)
    if kind is WithdrawalRequest or kind is Deposit:
        return movement_row(
            kind is WithdrawalRequest,
            e.id,
            micros(e.at),
            e.customer,
            e.asset,
            _units(e.amount),
            e.address if kind is WithdrawalRequest else "",
            None,
        )
    if kind is WithdrawalCancelled:
        return [2, e.id, micros(e.at), e.withdrawal]
    if kind is WithdrawalSent:
        return [3, e.id, micros(e.at), e.withdrawal, *([e.wallet] if e.wallet else [])]
    if kind is HoldReleased or kind is HoldRefused:
        number = 7 if kind is HoldReleased else 8
        return [number, e.id, micros(e.at), e.withdrawal, *([e.reason] if e.reason else [])]
    if kind is Price:
        return [4, e.id, micros(e.at), e.asset, str(e.jpy)]
    if kind is HaltOrder:
        return [6, e.id, micros(e.at), str(e.scope), e.key, e.source, e.reason]
    return [5, e.id, micros(e.at), e.wallet, e.asset, _units(e.amount)]


def _amount(field: object) -> Any:
    """Return the amount of a row: an integer, or — written for a refused event — the
    decimal it was, or the text as it came (so replaying refuses it again, alike)."""
    if type(field) is int or field is None:
        return field
    text = str(field)
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return Decimal(text)
    except ArithmeticError:
        return text


def row_event(row: list[Any]) -> Event:
    """Rebuild the event of an :func:`event_row` row."""
    kind, event_id, at = row[0], row[1], from_micros(row[2])
    if kind == 1:
        return WithdrawalRequest(event_id, at, row[3], row[4], _amount(row[5]), row[6])
    if kind == 0:
        return Deposit(event_id, at, row[3], row[4], _amount(row[5]))
    if kind == 2:
        return WithdrawalCancelled(event_id, at, row[3])
    if kind == 3:
        return WithdrawalSent(event_id, at, row[3], row[4] if len(row) > 4 else "")
    if kind == 4:
        return Price(event_id, at, row[3], Decimal(row[4]))
    if kind == 6:
        return HaltOrder(event_id, at, HaltScope(row[3]), row[4], row[5], row[6])
    if kind == 7:
        return HoldReleased(event_id, at, row[3], row[4] if len(row) > 4 else "")
    if kind == 8:
        return HoldRefused(event_id, at, row[3], row[4] if len(row) > 4 else "")
    return Balance(event_id, at, row[3], row[4], _amount(row[5]))


def checked_row(event: Event, now: datetime | None = None) -> list[Any]:
    """Return the row of ``event`` with the ``now`` it was checked against, if any."""
    row = event_row(event)
    if now is not None:
        row = [row[0] + 10, *row[1:], micros(now)]
    return row


def unchecked_row(row: list[Any]) -> tuple[Event, datetime | None]:
    """Return the event and the ``now`` of a :func:`checked_row` row."""
    if row[0] >= 10:
        return row_event([row[0] - 10, *row[1:-1]]), from_micros(row[-1])
    return row_event(row), None
