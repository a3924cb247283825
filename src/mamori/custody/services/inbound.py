"""Events from the exchange's systems (API, NATS, files) → engine events, checked at the edge
(the bounds of :mod:`mamori.custody.bounds`: nothing out of them is decided or written)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mamori.custody import bounds
from mamori.engines import threshold as engine

__all__ = ["TYPES", "parse"]

TYPES = ("deposit", "withdrawal", "withdrawal_cancelled", "withdrawal_sent", "price", "balance")


def _text(data: dict[str, Any], key: str, limit: int = bounds.ID_MAX) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key!r} is required (a non-empty string)")
    return bounds.identifier(value, key, limit)


def _units(data: dict[str, Any]) -> int:
    value = data.get("amount")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("'amount' must be an integer of base units (as a string of digits)")
    text = str(value)
    if not text.isdigit():
        raise ValueError(f"'amount' must be digits only (base units), got {text!r}")
    return bounds.units(text)


def _time(data: dict[str, Any], now: datetime | None) -> datetime:
    try:
        at = datetime.fromisoformat(_text(data, "at"))
    except ValueError as exc:
        raise ValueError(f"'at' is not an ISO 8601 time: {exc}") from None
    return bounds.event_time(at, now)


def _wallet(data: dict[str, Any], required: bool) -> str:
    """Return the event's wallet, which must be registered and hold the event's asset."""
    from mamori.custody.models import Wallet

    name = str(data.get("wallet") or "")
    if not name and not required:
        return ""
    name = _text(data, "wallet")
    held = Wallet.objects.filter(name=name).values_list("asset__code", flat=True).first()
    if held is None:
        raise ValueError(f"unknown wallet {name!r}: register it first")
    asset = data.get("asset")
    if asset and held != asset:
        raise ValueError(f"wallet {name!r} holds {held}, not {asset}")
    return name


def parse(data: dict[str, Any], now: datetime | None = None) -> engine.Event:
    """Return the engine event ``data`` describes; ``ValueError`` says what is wrong (a wallet
    named must be registered and hold the event's asset). Its time must be near ``now`` (the
    server's clock, when the event arrives as it happens), or within the years the journal
    can hold (a file replayed)."""
    kind = data.get("type")
    if kind not in TYPES:
        raise ValueError(f"'type' must be one of {', '.join(TYPES)}, got {kind!r}")
    event_id, at = _text(data, "id"), _time(data, now)
    if kind == "deposit":
        return engine.Deposit(
            event_id, at, _text(data, "customer"), _text(data, "asset"), _units(data)
        )
    if kind == "withdrawal":
        return engine.WithdrawalRequest(
            event_id,
            at,
            _text(data, "customer"),
            _text(data, "asset"),
            _units(data),
            bounds.identifier(str(data.get("address") or ""), "address", bounds.ADDRESS_MAX),
        )
    if kind == "withdrawal_cancelled":
        return engine.WithdrawalCancelled(event_id, at, _text(data, "withdrawal"))
    if kind == "withdrawal_sent":
        return engine.WithdrawalSent(
            event_id, at, _text(data, "withdrawal"), _wallet(data, required=False)
        )
    if kind == "price":
        jpy = bounds.price(_text(data, "jpy"))
        return engine.Price(event_id, at, _text(data, "asset"), jpy)
    asset = _text(data, "asset")
    return engine.Balance(event_id, at, _wallet(data, required=True), asset, _units(data))
