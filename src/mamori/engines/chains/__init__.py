"""Chain adapters: balances of many addresses at one pinned block (ISM 34-1).

One documented interface (:class:`ChainAdapter`), one module per chain family: ``evm``
(Ethereum JSON-RPC, batched, by block hash) and ``bitcoin`` (Bitcoin Core ``scantxoutset``).
No Django; the node is reached over HTTP with the settings given.
"""

from mamori.engines.chains.base import (
    Balance,
    Block,
    BlockChanged,
    ChainAdapter,
    ChainError,
    Holding,
    NodeError,
)
from mamori.engines.chains.bitcoin import BitcoinAdapter, satoshi
from mamori.engines.chains.evm import BALANCE_OF, EvmAdapter
from mamori.engines.chains.rpc import JsonRpc, RpcFailure, RpcSettings, masked_url

__all__ = [
    "BALANCE_OF",
    "FAMILIES",
    "Balance",
    "BitcoinAdapter",
    "Block",
    "BlockChanged",
    "ChainAdapter",
    "ChainError",
    "EvmAdapter",
    "Holding",
    "JsonRpc",
    "NodeError",
    "RpcFailure",
    "RpcSettings",
    "adapter",
    "masked_url",
    "satoshi",
]

FAMILIES = ("evm", "bitcoin")


def adapter(family: str, settings: RpcSettings, confirmations: int = 0) -> ChainAdapter:
    """Return the adapter of ``family`` ("evm" or "bitcoin") for the node in ``settings``."""
    rpc = JsonRpc(settings)
    if family == "evm":
        return EvmAdapter(rpc, confirmations)
    if family == "bitcoin":
        return BitcoinAdapter(rpc, confirmations)
    raise ValueError(f"unknown chain family {family!r}; known: {', '.join(FAMILIES)}")
