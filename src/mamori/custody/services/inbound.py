"""Events from the exchange's systems (API, NATS, files) → engine events, checked at the edge."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from mamori.engines import threshold as engine

__all__ = ["TYPES", "parse"]

TYPES = ("deposit", "withdrawal", "withdrawal_cancelled", "withdrawal_sent", "price", "balance")


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key!r} is required (a non-empty string)")
    return value


def _units(data: dict[str, Any]) -> int:
    value = data.get("amount")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("'amount' must be an integer of base units (as a string of digits)")
    text = str(value)
    if not text.isdigit():
        raise ValueError(f"'amount' must be digits only (base units), got {text!r}")
    return int(text)


def _time(data: dict[str, Any]) -> datetime:
    try:
        at = datetime.fromisoformat(_text(data, "at"))
    except ValueError as exc:
        raise ValueError(f"'at' is not an ISO 8601 time: {exc}") from None
    if at.tzinfo is None:
        raise ValueError("'at' needs a time zone (e.g. 2026-11-22T09:00:00+09:00)")
    return at


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


def parse(data: dict[str, Any]) -> engine.Event:
    """Return the engine event ``data`` describes; ``ValueError`` says what is wrong (a wallet
    named must be registered and hold the event's asset)."""
    kind = data.get("type")
    if kind not in TYPES:
        raise ValueError(f"'type' must be one of {', '.join(TYPES)}, got {kind!r}")
    event_id, at = _text(data, "id"), _time(data)
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
            str(data.get("address") or ""),
        )
    if kind == "withdrawal_cancelled":
        return engine.WithdrawalCancelled(event_id, at, _text(data, "withdrawal"))
    if kind == "withdrawal_sent":
        return engine.WithdrawalSent(
            event_id, at, _text(data, "withdrawal"), _wallet(data, required=False)
        )
    if kind == "price":
        try:
            jpy = Decimal(_text(data, "jpy"))
        except InvalidOperation:
            raise ValueError(f"'jpy' must be a decimal number, got {data.get('jpy')!r}") from None
        return engine.Price(event_id, at, _text(data, "asset"), jpy)
    asset = _text(data, "asset")
    return engine.Balance(event_id, at, _wallet(data, required=True), asset, _units(data))
