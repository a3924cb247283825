"""Ethereum and EVM-compatible chains: native balances (``eth_getBalance``) and ERC-20
``balanceOf`` (``eth_call``) of many addresses at one pinned block, by block hash (EIP-1898),
in JSON-RPC batches.

Reading by hash rather than number means a reorganisation cannot mix two chains into one
answer: the node either answers at exactly that block or says it does not know it, and
:meth:`EvmAdapter.still_canonical` then confirms the block is still the one at its height.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from eth_utils.address import is_checksum_address
from eth_utils.crypto import keccak

from mamori.engines.chains.base import Balance, Block, BlockChanged, Holding, NodeError
from mamori.engines.chains.rpc import JsonRpc, RpcFailure

__all__ = ["BALANCE_OF", "EvmAdapter"]

BALANCE_OF = "0x" + keccak(text="balanceOf(address)")[:4].hex()  # 0x70a08231
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_QUANTITY = re.compile(r"^0x(0|[1-9a-f][0-9a-f]*)$")
_WORD = re.compile(r"^0x[0-9a-f]{64}$")
_UNKNOWN_BLOCK = ("header not found", "unknown block", "block not found", "not found")


def _quantity(value: Any, what: str) -> int:
    """Decode a JSON-RPC QUANTITY (hex, no leading zeros)."""
    if not isinstance(value, str) or not _QUANTITY.match(value.lower()):
        raise NodeError(f"{what}: expected a hex quantity, got {value!r:.80}")
    return int(value, 16)


class EvmAdapter:
    """Reads balances from an Ethereum JSON-RPC node."""

    family = "evm"

    def __init__(self, rpc: JsonRpc, confirmations: int = 0) -> None:
        if confirmations < 0:
            raise ValueError(f"confirmations cannot be negative, got {confirmations}")
        self.rpc = rpc
        self.confirmations = confirmations

    def address_error(self, address: str) -> str | None:
        """Return why ``address`` is not a 20-byte hex address with a valid EIP-55 checksum
        (when mixed case), or ``None``."""
        if not _ADDRESS.match(address):
            return f"{address!r} is not an Ethereum address (0x and 40 hex digits)"
        body = address[2:]
        if body != body.lower() and body != body.upper() and not is_checksum_address(address):
            return f"{address} has a wrong EIP-55 checksum (a mistyped letter?)"
        return None

    def _block(self, tag: str) -> Block:
        block = self.rpc.call("eth_getBlockByNumber", [tag, False])
        if not isinstance(block, dict):
            raise NodeError(f"{self.rpc.where} has no block {tag}")
        number = _quantity(block.get("number"), "block number")
        block_hash = block.get("hash")
        if not isinstance(block_hash, str) or not _WORD.match(block_hash.lower()):
            raise NodeError(f"block {number}: expected a 32-byte hash, got {block_hash!r:.80}")
        return Block(number, block_hash.lower())

    def pin(self, height: int | None = None) -> Block:
        """Return the block at ``height``, or the tip less the configured confirmations."""
        if height is None:
            tip = _quantity(self.rpc.call("eth_blockNumber"), "eth_blockNumber")
            height = max(tip - self.confirmations, 0)
        if height < 0:
            raise ValueError(f"a block height cannot be negative, got {height}")
        return self._block(hex(height))

    def still_canonical(self, block: Block) -> bool:
        """Return whether ``block`` is still the block at its height."""
        return self._block(hex(block.number)).hash == block.hash

    def balances(self, block: Block, holdings: Sequence[Holding]) -> list[Balance]:
        """Read every holding at ``block`` (see the module docstring)."""
        at = {"blockHash": block.hash, "requireCanonical": True}
        calls: list[tuple[str, list[Any]]] = []
        slots: list[int] = []
        results: list[Balance | None] = []
        for holding in holdings:
            problem = self.address_error(holding.address)
            if problem is None and holding.contract is not None:
                token_problem = self.address_error(holding.contract)
                if token_problem:
                    problem = f"token contract: {token_problem}"
            if problem:
                results.append(Balance(holding, None, problem))
                continue
            slots.append(len(results))
            results.append(None)
            if holding.contract is None:
                calls.append(("eth_getBalance", [holding.address, at]))
            else:
                data = BALANCE_OF + holding.address[2:].lower().rjust(64, "0")
                calls.append(("eth_call", [{"to": holding.contract, "data": data}, at]))
        answers = self.rpc.batch(calls)
        for slot, answer in zip(slots, answers, strict=True):
            holding = holdings[slot]
            results[slot] = self._balance(holding, answer, block)
        return [r for r in results if r is not None]

    def _balance(self, holding: Holding, answer: Any, block: Block) -> Balance:
        if isinstance(answer, RpcFailure):
            message = answer.message.lower()
            if any(phrase in message for phrase in _UNKNOWN_BLOCK):
                raise BlockChanged(
                    f"the node no longer knows block {block.number} {block.hash}: {answer.message}"
                )
            if holding.contract is not None and ("revert" in message or answer.code == 3):
                return Balance(
                    holding,
                    None,
                    f"token contract {holding.contract} reverted balanceOf: {answer.message}",
                )
            return Balance(holding, None, f"the node refused: {answer.message} ({answer.code})")
        if holding.contract is None:
            return Balance(holding, _quantity(answer, f"balance of {holding.address}"))
        if answer in ("0x", None):
            return Balance(
                holding,
                None,
                f"no contract answered balanceOf at {holding.contract} (no code at block "
                f"{block.number}?)",
            )
        if not isinstance(answer, str) or not _WORD.match(answer.lower()):
            return Balance(
                holding,
                None,
                f"token contract {holding.contract} answered {answer!r:.80}, not a uint256",
            )
        return Balance(holding, int(answer, 16))
