"""Decode an EVM transaction before it is signed (ISM 29-1-4): legacy (EIP-155), EIP-2930 and
EIP-1559, unsigned or signed, read with ``rlp`` field by field.

The hash that would be signed is Keccak-256 of the unsigned serialisation (for a legacy
transaction with the chain id, EIP-155); a signed transaction's sender is recovered from its
signature (libsecp256k1 through embit) and must be one of the wallet's own addresses. The
chain id must be the wallet's; a legacy signature without a chain id (replayable on any chain)
is refused. The fee's worst case, gas limit × gas price (``maxFeePerGas`` for EIP-1559), must
be within the fee policy. The call itself is read by :func:`mamori.engines.presign.calls.read_call`.
"""

from __future__ import annotations

from dataclasses import dataclass

import rlp
from embit.util import secp256k1

from mamori.engines.presign.calls import index, read_call
from mamori.engines.presign.common import evm_hex, keccak, malformed, refused
from mamori.engines.presign.values import (
    Code,
    Decoded,
    EvmTransaction,
    Reason,
    Transfer,
    WalletPolicy,
)

__all__ = ["decode_evm"]

_HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
_N = 2 * _HALF_N + 1


class _Bad(ValueError):
    """A field that is not what the transaction type says it must be."""


@dataclass(frozen=True)
class _Fields:
    chain_id: int | None
    price: int
    gas: int
    to: bytes
    value: int
    data: bytes
    signing_hash: bytes
    signature: tuple[int, int, int] | None  # (recovery id, r, s)


def _int(item: object, name: str) -> int:
    if not isinstance(item, bytes) or len(item) > 32 or item[:1] == b"\x00":
        raise _Bad(f"{name} is not a canonical 256-bit integer")
    return int.from_bytes(item, "big")


def _bytes(item: object, name: str) -> bytes:
    if not isinstance(item, bytes):
        raise _Bad(f"{name} is not a byte string")
    return item


def _to(item: object) -> bytes:
    to = _bytes(item, "to")
    if len(to) not in (0, 20):
        raise _Bad(f"to has {len(to)} bytes, not 20")
    return to


def _access_list(item: object) -> None:
    if not isinstance(item, list):
        raise _Bad("the access list is not a list")
    for entry in item:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], list)):
            raise _Bad("an access list entry is not [address, [keys]]")
        if len(_bytes(entry[0], "access list address")) != 20:
            raise _Bad("an access list address is not 20 bytes")
        if any(len(_bytes(key, "storage key")) != 32 for key in entry[1]):
            raise _Bad("an access list storage key is not 32 bytes")


def _legacy(items: list[object]) -> _Fields:
    if len(items) not in (6, 9):
        raise _Bad(f"a legacy transaction has 6 or 9 fields, got {len(items)}")
    price, gas = _int(items[1], "gasPrice"), _int(items[2], "gas")
    _int(items[0], "nonce")
    to, value, data = _to(items[3]), _int(items[4], "value"), _bytes(items[5], "data")
    if len(items) == 6:
        return _Fields(None, price, gas, to, value, data, keccak(rlp.encode(items)), None)
    v, r, s = (_int(items[n], name) for n, name in ((6, "v"), (7, "r"), (8, "s")))
    if r == 0 and s == 0:  # unsigned, EIP-155: v carries the chain id
        return _Fields(v, price, gas, to, value, data, keccak(rlp.encode(items)), None)
    if v in (27, 28):
        unsigned = keccak(rlp.encode(items[:6]))
        return _Fields(None, price, gas, to, value, data, unsigned, (v - 27, r, s))
    if v < 35:
        raise _Bad(f"legacy v is {v}: neither 27/28 nor EIP-155")
    chain_id = (v - 35) // 2
    big_endian = chain_id.to_bytes((chain_id.bit_length() + 7) // 8, "big")
    signing = keccak(rlp.encode([*items[:6], big_endian, b"", b""]))
    return _Fields(chain_id, price, gas, to, value, data, signing, ((v - 35) % 2, r, s))


def _typed(kind: int, items: list[object]) -> _Fields:
    fields = 8 if kind == 1 else 9
    if len(items) not in (fields, fields + 3):
        raise _Bad(f"a type-{kind} transaction has {fields} or {fields + 3} fields")
    chain_id, _nonce = _int(items[0], "chainId"), _int(items[1], "nonce")
    if kind == 2:
        tip, price = _int(items[2], "maxPriorityFeePerGas"), _int(items[3], "maxFeePerGas")
        if tip > price:
            raise _Bad("maxPriorityFeePerGas is above maxFeePerGas")
        rest = items[4:]
    else:
        price, rest = _int(items[2], "gasPrice"), items[3:]
    gas, to, value = _int(rest[0], "gas"), _to(rest[1]), _int(rest[2], "value")
    data = _bytes(rest[3], "data")
    _access_list(rest[4])
    signing = keccak(bytes([kind]) + rlp.encode(items[:fields]))
    signature = None
    if len(items) == fields + 3:
        y, r, s = (_int(items[fields + n], name) for n, name in enumerate(("yParity", "r", "s")))
        if y > 1:
            raise _Bad(f"yParity is {y}, not 0 or 1")
        signature = (y, r, s)
    return _Fields(chain_id, price, gas, to, value, data, signing, signature)


def _parse(raw: bytes) -> _Fields:
    if not raw:
        raise _Bad("the transaction is empty")
    if raw[0] in (1, 2):
        items = rlp.decode(raw[1:], strict=True)
        kind = raw[0]
    elif raw[0] >= 0xC0:
        items, kind = rlp.decode(raw, strict=True), 0
    else:
        raise _Bad(f"unknown transaction type 0x{raw[0]:02x}")
    if not isinstance(items, list):
        raise _Bad("the transaction is not an RLP list")
    return _legacy(items) if kind == 0 else _typed(kind, items)


def _sender(fields: _Fields) -> str:
    assert fields.signature is not None
    recovery, r, s = fields.signature
    if not (0 < r < _N and 0 < s <= _HALF_N):
        raise _Bad("the signature's r or s is out of range (EIP-2: s in the lower half)")
    compact = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    signature = secp256k1.ecdsa_recoverable_signature_parse_compact(compact, recovery)
    public = secp256k1.ecdsa_recover(signature, fields.signing_hash)
    point = secp256k1.ec_pubkey_serialize(public, secp256k1.EC_UNCOMPRESSED)
    return evm_hex(keccak(point[1:])[-20:])


def _fee_reasons(fields: _Fields, policy: WalletPolicy) -> list[Reason]:
    reasons: list[Reason] = []
    fee = fields.gas * fields.price
    limit, rate = policy.fee.max_fee, policy.fee.max_fee_rate
    if rate is not None and fields.price > rate:
        reasons.append(
            refused(Code.FEE_TOO_HIGH, "the gas price is above the fee policy", rate, fields.price)
        )
    if limit is not None and fee > limit:
        reasons.append(
            refused(
                Code.FEE_TOO_HIGH, "the worst-case fee (gas × price) is above policy", limit, fee
            )
        )
    return reasons


def _decode(tx: EvmTransaction, policy: WalletPolicy) -> Decoded:
    if not isinstance(tx.raw, bytes):
        return malformed("the EVM transaction is not bytes")
    try:
        fields = _parse(tx.raw)
        sender = _sender(fields) if fields.signature is not None else None
    except (_Bad, rlp.DecodingError, ValueError) as error:
        return malformed(f"the EVM transaction cannot be read: {error}")
    tx_hash = "0x" + fields.signing_hash.hex()
    reasons: list[Reason] = []
    if fields.chain_id is None or fields.chain_id != policy.chain_id:
        reasons.append(
            refused(
                Code.WRONG_CHAIN,
                "the transaction is not bound to the wallet's chain id (EIP-155)",
                policy.chain_id,
                fields.chain_id,
            )
        )
    if sender is not None and sender not in index(policy).own:
        reasons.append(
            refused(Code.INPUT_NOT_OURS, "the signer is not the wallet", "our address", sender)
        )
    reasons += _fee_reasons(fields, policy)
    transfers: tuple[Transfer, ...] = ()
    if not fields.to:
        reasons.append(refused(Code.CALLDATA_NOT_ALLOWED, "a contract creation is no withdrawal"))
    else:
        read = read_call(fields.to, fields.value, fields.data, policy)
        if isinstance(read, Transfer):
            transfers = (read,)
        else:
            reasons.append(read)
    return Decoded(transfers, tx_hash, tuple(reasons), fields.gas * fields.price)


def decode_evm(tx: EvmTransaction, policy: WalletPolicy) -> Decoded:
    """Return the transfer an EVM transaction makes, its signing hash, and any refusal.

    Never raises: anything unreadable is a ``malformed_transaction`` refusal (ISM 29-1-4).
    """
    try:
        return _decode(tx, policy)
    except Exception as error:  # the contract: no input may escape as an exception
        return malformed(f"the EVM transaction cannot be read: {type(error).__name__}")
