"""The auditor's statement (ISM 34-3): what was held, where, at which blocks, against the
book — signed with Ed25519, and checkable by anyone with the public key and a node.

The signature covers the canonical JSON of ``statement`` (sorted keys, no spaces, UTF-8).
:func:`check_signature` refuses a changed figure or a foreign key; :func:`recheck` reads every
wallet again at the statement's block hash and names each figure the chain does not confirm.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

from mamori.engines.chains import Block, ChainAdapter, ChainError, Holding
from mamori.engines.merkle import CheckpointError, LogKey, verify_bytes

__all__ = ["FORMAT", "StatementError", "canonical", "check_signature", "recheck", "sign_statement"]

FORMAT = "mamori-reconciliation-statement/1"


class StatementError(ValueError):
    """A statement that is malformed or whose signature does not verify."""


def canonical(value: Any) -> bytes:
    """Return the bytes a statement's signature covers."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_statement(statement: dict[str, Any], key: LogKey) -> dict[str, Any]:
    """Return the signed document of ``statement``."""
    body = {**statement, "signing_key": {"name": key.name, "key_id": key.key_id.hex()}}
    return {
        "format": FORMAT,
        "statement": body,
        "signature": {
            "algorithm": "ed25519",
            "key_id": key.key_id.hex(),
            "value": base64.b64encode(key.sign_bytes(canonical(body))).decode("ascii"),
        },
        "verifier": key.verifier(),
    }


def check_signature(document: Any, verifier: str) -> dict[str, Any]:
    """Return the statement if ``document`` is signed by ``verifier``'s key; otherwise raise
    :class:`StatementError` saying why."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise StatementError(f"not a {FORMAT} document")
    statement, signature = document.get("statement"), document.get("signature")
    if not isinstance(statement, dict) or not isinstance(signature, dict):
        raise StatementError("the document lacks its statement or signature")
    if signature.get("algorithm") != "ed25519":
        raise StatementError(f"unknown signature algorithm {signature.get('algorithm')!r}")
    try:
        key_id = bytes.fromhex(str(signature.get("key_id", "")))
        value = base64.b64decode(str(signature.get("value", "")), validate=True)
    except (ValueError, binascii.Error):
        raise StatementError("the signature is not hex key id and base64 value") from None
    try:
        verify_bytes(verifier, key_id, canonical(statement), value)
    except CheckpointError as exc:
        raise StatementError(f"signature: {exc}") from None
    return statement


def _units(value: Any) -> int | None:
    return None if value is None else int(str(value))


def recheck(
    statement: dict[str, Any], adapter_for: Callable[[str, str], ChainAdapter | None]
) -> list[str]:
    """Read every wallet of ``statement`` again at its block; return each figure that does not
    hold (empty when everything is confirmed). ``adapter_for(chain, family)`` gives the node."""
    problems: list[str] = []
    for entry in statement.get("assets", []):
        asset, chain = entry.get("asset"), entry.get("chain", "")
        on_chain, book, moving = (_units(entry.get(k)) for k in ("on_chain", "book", "in_flight"))
        difference = _units(entry.get("difference"))
        if on_chain is not None and difference != on_chain - (book or 0) - (moving or 0):
            problems.append(
                f"{asset}: difference {difference} is not on-chain {on_chain} − book {book} "
                f"− in flight {moving}"
            )
        block_data = entry.get("block") or {}
        if on_chain is None or not block_data:
            continue
        adapter = adapter_for(chain, entry.get("family", ""))
        if adapter is None:
            problems.append(f"{asset}: no node given for chain {chain}")
            continue
        block = Block(int(block_data["number"]), str(block_data["hash"]))
        wallets = entry.get("wallets", [])
        holdings = [Holding(w["address"], asset, entry.get("contract") or None) for w in wallets]
        try:
            if not adapter.still_canonical(block):
                problems.append(f"{asset}: block {block.number} {block.hash} is not on the chain")
                continue
            readings = adapter.balances(block, holdings)
        except ChainError as exc:
            problems.append(f"{asset}: cannot read at block {block.number}: {exc}")
            continue
        total = 0
        for wallet, reading in zip(wallets, readings, strict=True):
            stated = _units(wallet.get("on_chain"))
            if reading.amount is None:
                problems.append(f"{asset} {wallet.get('wallet')}: {reading.error}")
                continue
            total += reading.amount
            if stated != reading.amount:
                problems.append(
                    f"{asset} wallet {wallet.get('wallet')} ({wallet['address']}): the statement "
                    f"says {stated}, the chain says {reading.amount} at block {block.number}"
                )
        if total != on_chain:
            problems.append(
                f"{asset}: the statement says {on_chain} on chain, the wallets hold {total} "
                f"at block {block.number}"
            )
    return problems
