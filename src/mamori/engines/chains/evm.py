"""Ethereum and EVM-compatible chains: native balances and ERC-20 ``balanceOf`` of many
addresses at one pinned block, by block hash (EIP-1898), in JSON-RPC batches — hundreds of
holders per ``eth_call`` through the balance reader (:mod:`.reader`), and ``eth_getBalance`` /
``eth_call`` per holder where the reader cannot answer.

Reading by hash rather than number means a reorganisation cannot mix two chains into one
answer: the node either answers at exactly that block or says it does not know it, and
:meth:`EvmAdapter.still_canonical` then confirms the block is still the one at its height.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from eth_utils.crypto import keccak

from mamori.engines.chains import reader
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


@lru_cache(maxsize=1 << 20)
def _address_error(address: str) -> str | None:
    """Check ``address`` (EIP-55: a letter is upper case when the matching nibble of the
    Keccak-256 of the lower-case hex is 8 or more)."""
    if not _ADDRESS.match(address):
        return f"{address!r} is not an Ethereum address (0x and 40 hex digits)"
    body = address[2:]
    lower = body.lower()
    if body == lower or body == body.upper():
        return None  # all one case: no checksum to check
    digest = keccak(text=lower).hex()
    for char, nibble in zip(body, digest, strict=False):
        if char.isalpha() and char.isupper() != (int(nibble, 16) >= 8):
            return f"{address} has a wrong EIP-55 checksum (a mistyped letter?)"
    return None


class EvmAdapter:
    """Reads balances from an Ethereum JSON-RPC node."""

    family = "evm"

    def __init__(self, rpc: JsonRpc, confirmations: int = 0, reader_chunk: int = 500) -> None:
        if confirmations < 0:
            raise ValueError(f"confirmations cannot be negative, got {confirmations}")
        if reader_chunk < 0:
            raise ValueError(f"reader_chunk cannot be negative, got {reader_chunk}")
        self.rpc = rpc
        self.confirmations = confirmations
        self.reader_chunk = reader_chunk  # holders per balance-reader call; 0: one call each

    def address_error(self, address: str) -> str | None:
        """Return why ``address`` is not a 20-byte hex address with a valid EIP-55 checksum
        (when mixed case), or ``None``."""
        return _address_error(address)

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
        """Read every holding at ``block`` (see the module docstring): many holders per
        ``eth_call`` through the balance reader, and one call per holder for what the reader
        could not read (a reverting token, a node without state overrides)."""
        results: list[Balance | None] = [None] * len(holdings)
        groups: dict[str | None, list[int]] = {}
        for n, holding in enumerate(holdings):
            problem = self.address_error(holding.address)
            if problem is None and holding.contract is not None:
                token_problem = self.address_error(holding.contract)
                if token_problem:
                    problem = f"token contract: {token_problem}"
            if problem:
                results[n] = Balance(holding, None, problem)
            else:
                token = holding.contract.lower() if holding.contract else None
                groups.setdefault(token, []).append(n)
        alone = self._read_many(block, holdings, groups, results)
        self._read_alone(block, holdings, alone, results)
        return [r for r in results if r is not None]

    def _read_many(
        self,
        block: Block,
        holdings: Sequence[Holding],
        groups: dict[str | None, list[int]],
        results: list[Balance | None],
    ) -> list[int]:
        """Read through the balance reader; return the holdings to ask for one by one."""
        if self.reader_chunk == 0:
            return [n for indices in groups.values() for n in indices]
        at = {"blockHash": block.hash, "requireCanonical": True}
        override = {reader.ADDRESS: {"code": reader.RUNTIME}}
        calls: list[tuple[str, list[Any]]] = []
        chunks: list[list[int]] = []
        for token, indices in groups.items():
            for start in range(0, len(indices), self.reader_chunk):
                chunk = indices[start : start + self.reader_chunk]
                data = reader.encode(token, [holdings[n].address for n in chunk])
                calls.append(("eth_call", [{"to": reader.ADDRESS, "data": data}, at, override]))
                chunks.append(chunk)
        alone: list[int] = []
        # a reader call carries the reader's code and its holders: keep each HTTP body small
        per_batch = max(1, min(self.rpc.settings.batch_size, 8))
        answers = self.rpc.batch(calls, per_batch)
        for chunk, answer in zip(chunks, answers, strict=True):
            if isinstance(answer, RpcFailure):
                self._unknown_block(answer, block)
                alone += chunk  # e.g. a node without state overrides
                continue
            try:
                values = reader.decode(str(answer), len(chunk))
            except ValueError:
                alone += chunk
                continue
            for n, value in zip(chunk, values, strict=True):
                if value == reader.FAILED and holdings[n].contract is not None:
                    alone.append(n)
                else:
                    results[n] = Balance(holdings[n], value)
        return alone

    def _read_alone(
        self,
        block: Block,
        holdings: Sequence[Holding],
        indices: list[int],
        results: list[Balance | None],
    ) -> None:
        at = {"blockHash": block.hash, "requireCanonical": True}
        calls: list[tuple[str, list[Any]]] = []
        for n in indices:
            holding = holdings[n]
            if holding.contract is None:
                calls.append(("eth_getBalance", [holding.address, at]))
            else:
                data = BALANCE_OF + holding.address[2:].lower().rjust(64, "0")
                calls.append(("eth_call", [{"to": holding.contract, "data": data}, at]))
        for n, answer in zip(indices, self.rpc.batch(calls), strict=True):
            results[n] = self._balance(holdings[n], answer, block)

    @staticmethod
    def _unknown_block(answer: RpcFailure, block: Block) -> None:
        if any(phrase in answer.message.lower() for phrase in _UNKNOWN_BLOCK):
            raise BlockChanged(
                f"the node no longer knows block {block.number} {block.hash}: {answer.message}"
            )

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
