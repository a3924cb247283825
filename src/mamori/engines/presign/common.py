"""Helpers shared by the pre-sign decoders (ISM 29-1-4): refusals, addresses, keccak."""

from __future__ import annotations

from eth_hash.auto import keccak as _keccak

from mamori.engines.presign.values import Code, Decoded, Reason

__all__ = [
    "UINT256",
    "evm_address",
    "evm_hex",
    "keccak",
    "malformed",
    "normalise",
    "refused",
    "selector",
]

UINT256 = 2**256


def keccak(data: bytes) -> bytes:
    """Return Keccak-256 of ``data`` (Ethereum's hash, not SHA3-256)."""
    return bytes(_keccak(data))


def selector(signature: str) -> bytes:
    """Return the 4-byte function selector of a Solidity signature."""
    return keccak(signature.encode("ascii"))[:4]


def evm_address(value: object) -> str | None:
    """Return ``value`` as a lower-case ``0x`` address (checksum-insensitive), or None."""
    if not isinstance(value, str) or len(value) != 42 or value[:2] not in ("0x", "0X"):
        return None
    try:
        bytes.fromhex(value[2:])
    except ValueError:
        return None
    return "0x" + value[2:].lower()


def evm_hex(raw: bytes) -> str:
    """Return 20 raw bytes as a lower-case ``0x`` address."""
    return "0x" + raw.hex()


def normalise(address: str) -> str:
    """Return an address as compared: EVM and bech32 case-insensitively, base58 as written."""
    evm = evm_address(address)
    if evm is not None:
        return evm
    lower = address.lower()
    if lower.startswith(("bc1", "tb1", "bcrt1")):
        return lower
    return address


def refused(code: Code, message: str, expected: object = None, got: object = None) -> Reason:
    """Return a reason, with what was expected and what was got as text."""
    return Reason(
        code,
        message,
        None if expected is None else str(expected),
        None if got is None else str(got),
    )


def malformed(message: str, tx_hash: str | None = None) -> Decoded:
    """Return a decoding that refuses: the transaction cannot be read as it must be."""
    return Decoded((), tx_hash, (refused(Code.MALFORMED_TRANSACTION, message),))
