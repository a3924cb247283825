"""The chain adapter interface: read balances of many addresses at one pinned block (ISM 34-1).

Every adapter (one module per chain family) implements :class:`ChainAdapter`. A run pins a
block first (:meth:`ChainAdapter.pin`), reads every balance *at that block*
(:meth:`ChainAdapter.balances`) and confirms the block is still on the canonical chain
(:meth:`ChainAdapter.still_canonical`); a block that changed under the run raises
:class:`BlockChanged` and the caller starts again. Amounts are integers in base units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "Balance",
    "Block",
    "BlockChanged",
    "ChainAdapter",
    "ChainError",
    "Holding",
    "NodeError",
]


class ChainError(Exception):
    """A chain read that failed as a whole; ``str()`` says why in plain words."""


class NodeError(ChainError):
    """The node could not be reached, timed out or answered something that is not JSON-RPC,
    after every retry."""


class BlockChanged(ChainError):
    """The pinned block is no longer the one at its height (the chain reorganised), or the
    node read at another block than the pinned one: the run must start again."""


@dataclass(frozen=True)
class Block:
    """A pinned block: its height and hash (hex, as the node spells it)."""

    number: int
    hash: str


@dataclass(frozen=True)
class Holding:
    """One balance to read: ``address`` holding ``asset``; ``contract`` is the token contract
    for a token (ERC-20), ``None`` for the chain's native asset."""

    address: str
    asset: str
    contract: str | None = None


@dataclass(frozen=True)
class Balance:
    """The balance of ``holding`` at the pinned block, or the reason it could not be read."""

    holding: Holding
    amount: int | None
    error: str | None = None


class ChainAdapter(Protocol):
    """What every chain family offers the reconciler."""

    family: str

    def address_error(self, address: str) -> str | None:
        """Return why ``address`` is malformed for this chain, or ``None`` if it is well formed."""
        ...

    def pin(self, height: int | None = None) -> Block:
        """Return the block to read at: ``height``, or the tip less the configured
        confirmations."""
        ...

    def balances(self, block: Block, holdings: Sequence[Holding]) -> list[Balance]:
        """Return one :class:`Balance` per holding, in order, all read at ``block``; per-item
        problems (malformed address, reverting token) are in ``Balance.error``."""
        ...

    def still_canonical(self, block: Block) -> bool:
        """Return whether ``block`` is still the canonical block at its height."""
        ...
