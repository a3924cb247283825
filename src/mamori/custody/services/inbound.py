"""Events from the exchange's systems (API, NATS, files) → engine events, checked at the edge."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from mamori.engines import threshold as engine

__all__ = ["TYPES", "parse", "registered_wallets"]

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


def registered_wallets() -> dict[str, str]:
    """Return each registered wallet's name and the code of its asset."""
    from mamori.custody.models import Wallet

    return dict(Wallet.objects.values_list("name", "asset__code"))


def _wallet(data: dict[str, Any], wallets: Mapping[str, str] | None, required: bool) -> str:
    name = str(data.get("wallet") or "")
    if not name and not required:
        return ""
    name = _text(data, "wallet")
    if wallets is not None and name not in wallets:
        raise ValueError(f"unknown wallet {name!r}: register it first")
    asset = data.get("asset")
    if wallets is not None and asset and wallets[name] != asset:
        raise ValueError(f"wallet {name!r} holds {wallets[name]}, not {asset}")
    return name


def parse(data: dict[str, Any], wallets: Mapping[str, str] | None = None) -> engine.Event:
    """Return the engine event ``data`` describes; ``ValueError`` says what is wrong.

    With ``wallets`` (name → asset code, see :func:`registered_wallets`), a wallet must be
    registered (and hold the event's asset)."""
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
            event_id, at, _text(data, "withdrawal"), _wallet(data, wallets, required=False)
        )
    if kind == "price":
        try:
            jpy = Decimal(_text(data, "jpy"))
        except InvalidOperation:
            raise ValueError(f"'jpy' must be a decimal number, got {data.get('jpy')!r}") from None
        return engine.Price(event_id, at, _text(data, "asset"), jpy)
    asset = _text(data, "asset")
    return engine.Balance(event_id, at, _wallet(data, wallets, required=True), asset, _units(data))
