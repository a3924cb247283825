"""One EVM call read as a transfer (ISM 29-1-4): native value, or ERC-20 ``transfer`` /
``transferFrom`` decoded with eth-abi; any other calldata is refused.

Shared by the EVM transaction decoder and the Safe decoder (its call and each MultiSend call).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from eth_abi.abi import decode as abi_decode

from mamori.engines.presign.common import evm_address, evm_hex, refused, selector
from mamori.engines.presign.values import Code, Reason, Transfer, WalletPolicy

__all__ = ["TRANSFER", "TRANSFER_FROM", "Index", "index", "read_call"]

TRANSFER = selector("transfer(address,uint256)")
TRANSFER_FROM = selector("transferFrom(address,address,uint256)")


@dataclass(frozen=True)
class Index:
    """A wallet policy prepared for lookups: addresses lower-cased, tokens both ways."""

    own: frozenset[str]
    asset_of_contract: dict[str, str]
    contract_of_asset: dict[str, str]


@functools.lru_cache(maxsize=256)
def index(policy: WalletPolicy) -> Index:
    """Return ``policy`` prepared for lookups (computed once per policy)."""
    own = frozenset(evm_address(a) or a for a in policy.own_addresses)
    contracts = {asset: evm_address(c) or c for asset, c in policy.token_contracts}
    return Index(own, {c: asset for asset, c in contracts.items()}, contracts)


def _erc20(contract: str, data: bytes, policy: WalletPolicy) -> Transfer | Reason:
    what = data[:4]
    try:
        if what == TRANSFER and len(data) == 4 + 64:
            recipient, amount = abi_decode(["address", "uint256"], data[4:])
            source = None  # the sender's own tokens: the sender is checked by the caller
        elif what == TRANSFER_FROM and len(data) == 4 + 96:
            source, recipient, amount = abi_decode(["address", "address", "uint256"], data[4:])
        else:
            return refused(
                Code.CALLDATA_NOT_ALLOWED,
                f"the call to {contract} is neither a plain transfer nor ERC-20 "
                "transfer/transferFrom",
                "transfer(address,uint256) or transferFrom(address,address,uint256)",
                "0x" + data[:4].hex() + f" with {len(data)} bytes of calldata",
            )
    except Exception as error:  # eth-abi raises several kinds on bad encodings
        return refused(
            Code.MALFORMED_TRANSACTION,
            f"the ERC-20 calldata cannot be decoded: {type(error).__name__}",
        )
    ours = index(policy).own
    if source is not None and str(source).lower() not in ours:
        return refused(
            Code.INPUT_NOT_OURS,
            "transferFrom moves tokens from an address that is not ours",
            "one of the wallet's own addresses",
            str(source).lower(),
        )
    asset = index(policy).asset_of_contract.get(contract)
    return Transfer(asset, str(recipient).lower(), int(amount), contract)


def read_call(to: bytes, value: int, data: bytes, policy: WalletPolicy) -> Transfer | Reason:
    """Return the transfer one call makes, or why it is refused.

    ``transferFrom`` must move tokens from one of the wallet's own addresses.
    """
    target = evm_hex(to)
    if not data:
        return Transfer(policy.native_asset, target, value)
    if value:
        return refused(
            Code.CALLDATA_NOT_ALLOWED,
            f"the call to {target} sends {value} wei of {policy.native_asset} with calldata",
            "0 with a token call",
            value,
        )
    return _erc20(target, data, policy)
