"""Bitcoin through Bitcoin Core's JSON-RPC: ``getblockchaininfo`` and ``getblockhash`` for the
pinned height, ``validateaddress`` for every address, ``scantxoutset`` for the balances.

``scantxoutset`` scans the UTXO set at the node's tip, so a Bitcoin pin is always the tip the
scan ran at: the adapter compares the scan's ``bestblock`` with the pinned hash and raises
:class:`BlockChanged` when a block arrived between the two (the caller pins again). Addresses
go in one scan as ``addr(...)`` descriptors; a holding whose address is itself an output
descriptor (``wpkh(...)``, ``tr(...)``, with ``#checksum`` optional) is scanned on its own.
Amounts come as decimal BTC and are turned into satoshi exactly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from mamori.engines.chains.base import Balance, Block, BlockChanged, Holding, NodeError
from mamori.engines.chains.rpc import JsonRpc, RpcFailure

__all__ = ["BitcoinAdapter", "satoshi"]

SATOSHI_PER_BTC = Decimal(100_000_000)
_ADDRESS = re.compile(r"^[0-9A-Za-z]{14,90}$")
_DESCRIPTOR = re.compile(r"^[a-z]+\(.+\)(#[0-9a-z]{8})?$")
_HASH = re.compile(r"^[0-9a-f]{64}$")
DESCRIPTOR_RANGE = 1000


def satoshi(amount: Any) -> int:
    """Return the satoshi in a decimal BTC amount; refuse fractions of a satoshi."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise NodeError(f"expected a BTC amount, got {amount!r:.40}")
    value = Decimal(amount) * SATOSHI_PER_BTC
    if value != value.to_integral_value():
        raise NodeError(f"{amount} BTC is not a whole number of satoshi")
    return int(value)


class BitcoinAdapter:
    """Reads balances from Bitcoin Core."""

    family = "bitcoin"

    def __init__(self, rpc: JsonRpc, confirmations: int = 0) -> None:
        self.rpc = rpc
        self.confirmations = confirmations  # kept for the interface; the scan is at the tip
        self._scripts: dict[str, str] = {}

    def address_error(self, address: str) -> str | None:
        """Return why ``address`` is neither an address-shaped string nor a descriptor
        (the node's ``validateaddress`` decides in :meth:`balances`)."""
        if _DESCRIPTOR.match(address) or _ADDRESS.match(address):
            return None
        return f"{address!r} is not a Bitcoin address or output descriptor"

    def _hash(self, value: Any, what: str) -> str:
        if not isinstance(value, str) or not _HASH.match(value):
            raise NodeError(f"{what}: expected a 32-byte hex hash, got {value!r:.80}")
        return value

    def pin(self, height: int | None = None) -> Block:
        """Return the node's tip (a scan can only be at the tip; ``height`` must be it)."""
        info = self.rpc.call("getblockchaininfo")
        if not isinstance(info, dict) or not isinstance(info.get("blocks"), int):
            raise NodeError(f"getblockchaininfo answered {info!r:.120}")
        tip = info["blocks"]
        if height is not None and height != tip:
            raise BlockChanged(
                f"Bitcoin Core scans the UTXO set at its tip ({tip}); it cannot read at {height}"
            )
        block_hash = self._hash(self.rpc.call("getblockhash", [tip]), "getblockhash")
        return Block(tip, block_hash)

    def still_canonical(self, block: Block) -> bool:
        """Return whether ``block`` is still the block at its height."""
        return bool(self.rpc.call("getblockhash", [block.number]) == block.hash)

    def _validate(self, addresses: list[str]) -> dict[str, str | RpcFailure | None]:
        """Map each plain address to its scriptPubKey hex, or ``None`` when invalid."""
        answers = self.rpc.batch([("validateaddress", [a]) for a in addresses])
        scripts: dict[str, str | RpcFailure | None] = {}
        for address, answer in zip(addresses, answers, strict=True):
            if isinstance(answer, RpcFailure):
                scripts[address] = answer
            elif isinstance(answer, dict) and answer.get("isvalid") is True:
                scripts[address] = str(answer.get("scriptPubKey", ""))
            else:
                scripts[address] = None
        return scripts

    def _scan(self, block: Block, objects: list[Any]) -> dict[str, Any]:
        answer = self.rpc.call("scantxoutset", ["start", objects])
        if not isinstance(answer, dict) or answer.get("success") is not True:
            raise NodeError(f"scantxoutset did not complete: {answer!r:.160}")
        best = answer.get("bestblock")
        if best != block.hash:
            raise BlockChanged(
                f"the scan ran at block {answer.get('height')} {best}, not the pinned "
                f"{block.number} {block.hash}: a new block arrived"
            )
        unspents = answer.get("unspents")
        if not isinstance(unspents, list):
            raise NodeError("scantxoutset answered without unspents")
        return answer

    def balances(self, block: Block, holdings: Sequence[Holding]) -> list[Balance]:
        """Read every holding at the tip ``block`` (see the module docstring)."""
        results: list[Balance | None] = [None] * len(holdings)
        plain: dict[str, list[int]] = {}
        for n, holding in enumerate(holdings):
            problem = self.address_error(holding.address)
            if holding.contract is not None:
                problem = "Bitcoin has no token contracts"
            if problem:
                results[n] = Balance(holding, None, problem)
            elif _DESCRIPTOR.match(holding.address):
                answer = self._scan(block, [{"desc": holding.address, "range": DESCRIPTOR_RANGE}])
                total = sum(satoshi(u.get("amount")) for u in answer["unspents"])
                results[n] = Balance(holding, total)
            else:
                plain.setdefault(holding.address, []).append(n)
        if plain:
            scripts = self._validate(list(plain))
            valid = {a: s for a, s in scripts.items() if isinstance(s, str)}
            for address, script in scripts.items():
                if not isinstance(script, str):
                    why = (
                        f"the node refused to validate it: {script.message}"
                        if isinstance(script, RpcFailure)
                        else "Bitcoin Core says it is not a valid address"
                    )
                    for n in plain[address]:
                        results[n] = Balance(holdings[n], None, f"{address}: {why}")
            if valid:
                answer = self._scan(block, [f"addr({a})" for a in valid])
                by_script: dict[str, int] = {}
                for unspent in answer["unspents"]:
                    script = str(unspent.get("scriptPubKey", ""))
                    by_script[script] = by_script.get(script, 0) + satoshi(unspent.get("amount"))
                for address, script in valid.items():
                    for n in plain[address]:
                        results[n] = Balance(holdings[n], by_script.get(script, 0))
        return [r for r in results if r is not None]
