"""Decode a Safe transaction before its owners sign it (ISM 29-1-4).

The signers of a Safe sign the EIP-712 hash of a ``SafeTx``; at Bybit (2025) they were shown a
transfer while that hash was of a ``delegatecall`` that replaced the Safe's singleton. So:

- the ``safeTxHash`` is recomputed from the fields (domain: chain id and the Safe's address
  from Safe 1.3.0, the address alone from 1.0.0) and must equal the hash the signers were
  shown and will sign;
- ``operation`` = 1 (delegatecall) runs the target's code with the Safe's storage — it could
  write slot 0 (the singleton), the owners, the modules — so it is refused unless the target
  is on the wallet's explicit allowlist; a configured MultiSend is allowed and each of its
  nested calls (``multiSend(bytes)``, packed: operation 1, to 20, value 32, length 32, data)
  is checked the same way;
- a call to the Safe itself that changes owners, threshold, modules, guards, the fallback
  handler or the singleton is refused, as is any other call to the Safe;
- a gas refund (``gasPrice`` > 0) pays someone from the Safe and is refused;
- the remaining calls are read as transfers like an EVM transaction's.
"""

from __future__ import annotations

import functools

from eth_abi.abi import decode as abi_decode

from mamori.engines.presign.calls import read_call
from mamori.engines.presign.common import (
    UINT256,
    evm_address,
    evm_hex,
    keccak,
    malformed,
    refused,
    selector,
)
from mamori.engines.presign.values import (
    Code,
    Decoded,
    Reason,
    SafePolicy,
    SafeTransaction,
    Transfer,
    WalletPolicy,
)

__all__ = ["OWNER_CHANGES", "SAFE_TX_TYPEHASH", "decode_safe", "safe_tx_hash"]

SAFE_TX_TYPEHASH = keccak(
    b"SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,"
    b"uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)"
)
DOMAIN_TYPEHASH = keccak(b"EIP712Domain(uint256 chainId,address verifyingContract)")
LEGACY_DOMAIN_TYPEHASH = keccak(b"EIP712Domain(address verifyingContract)")  # Safe < 1.3.0
MULTISEND = selector("multiSend(bytes)")

#: the Safe's own functions that change who controls it (selector → signature)
OWNER_CHANGES = {
    selector(signature): signature
    for signature in (
        "addOwnerWithThreshold(address,uint256)",
        "removeOwner(address,address,uint256)",
        "swapOwner(address,address,address)",
        "changeThreshold(uint256)",
        "enableModule(address)",
        "disableModule(address,address)",
        "setGuard(address)",
        "setModuleGuard(address)",
        "setFallbackHandler(address)",
        "changeMasterCopy(address)",
        "setup(address[],uint256,address,bytes,address,address,uint256,address)",
    )
}


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _address_word(address: str) -> bytes:
    return bytes(12) + bytes.fromhex(address[2:])


def _version(text: str) -> tuple[int, ...]:
    """Return ``1.3.0+L2`` as (1, 3, 0); raise ValueError if it is no version."""
    return tuple(int(part) for part in text.split("+")[0].split("."))


@functools.lru_cache(maxsize=256)
def _domain_separator(chain_id: int, address: str, version: str) -> bytes:
    number = _version(version)
    if number < (1, 0, 0):
        raise ValueError(f"Safe {version} is not supported (its SafeTx type differs)")
    if number < (1, 3, 0):
        return keccak(LEGACY_DOMAIN_TYPEHASH + _address_word(address))
    return keccak(DOMAIN_TYPEHASH + _word(chain_id) + _address_word(address))


def safe_tx_hash(safe: SafePolicy, tx: SafeTransaction) -> bytes:
    """Return the EIP-712 ``safeTxHash`` of ``tx`` for the Safe ``safe`` (Safe ≥ 1.0.0).

    Raise ValueError for a Safe version older than 1.0.0 or not a version.
    """
    domain = _domain_separator(safe.chain_id, safe.address, safe.version)
    message = keccak(
        SAFE_TX_TYPEHASH
        + _address_word(tx.to)
        + _word(tx.value)
        + keccak(tx.data)
        + _word(tx.operation)
        + _word(tx.safe_tx_gas)
        + _word(tx.base_gas)
        + _word(tx.gas_price)
        + _address_word(tx.gas_token)
        + _address_word(tx.refund_receiver)
        + _word(tx.nonce)
    )
    return keccak(b"\x19\x01" + domain + message)


def _fields_problem(tx: SafeTransaction) -> str | None:
    for name in ("to", "gas_token", "refund_receiver"):
        if evm_address(getattr(tx, name)) is None:
            return f"{name} is not an address"
    for name in ("value", "safe_tx_gas", "base_gas", "gas_price", "nonce"):
        number = getattr(tx, name)
        if type(number) is not int or not 0 <= number < UINT256:
            return f"{name} is not a 256-bit unsigned integer"
    if type(tx.operation) is not int or tx.operation not in (0, 1):
        return "operation is neither 0 (call) nor 1 (delegatecall)"
    if not isinstance(tx.data, bytes):
        return "data is not bytes"
    if not isinstance(tx.shown_hash, bytes) or len(tx.shown_hash) != 32:
        return "the shown safeTxHash is not 32 bytes"
    return None


def _nested(data: bytes) -> list[tuple[int, bytes, int, bytes]]:
    """Return the calls packed in ``multiSend(bytes)`` calldata; raise ValueError if bad."""
    if data[:4] != MULTISEND:
        raise ValueError("the MultiSend calldata is not multiSend(bytes)")
    (packed,) = abi_decode(["bytes"], data[4:])
    calls, at = [], 0
    while at < len(packed):
        if at + 85 > len(packed):
            raise ValueError("a MultiSend call is cut short")
        operation = packed[at]
        to = packed[at + 1 : at + 21]
        value = int.from_bytes(packed[at + 21 : at + 53], "big")
        length = int.from_bytes(packed[at + 53 : at + 85], "big")
        if operation > 1 or at + 85 + length > len(packed):
            raise ValueError("a MultiSend call has a bad operation or length")
        calls.append((operation, to, value, packed[at + 85 : at + 85 + length]))
        at += 85 + length
    return calls


def _call(
    operation: int, to: bytes, value: int, data: bytes, safe: SafePolicy, policy: WalletPolicy
) -> Transfer | Reason | None:
    target = evm_hex(to)
    if operation == 1:
        if target in {evm_address(a) for a in safe.delegatecall_allowlist}:
            return None  # trusted code, explicitly allowed: no transfer read from it
        return refused(
            Code.DELEGATECALL_TARGET_NOT_ALLOWED,
            "a delegatecall runs the target's code in the Safe's storage and could replace "
            f"its singleton (slot 0); {target} is not on the allowlist",
            "a target on the delegatecall allowlist",
            target,
        )
    if target == evm_address(safe.address):
        changed = OWNER_CHANGES.get(data[:4])
        if changed is not None:
            return refused(
                Code.SAFE_OWNER_CHANGE,
                f"the transaction calls the Safe's own {changed}",
                "a transfer",
                changed,
            )
        return refused(
            Code.CALLDATA_NOT_ALLOWED,
            "the transaction calls the Safe itself",
            "a transfer",
            "0x" + data[:4].hex(),
        )
    return read_call(to, value, data, policy)


def _decode(tx: SafeTransaction, policy: WalletPolicy) -> Decoded:
    safe = policy.safe
    if safe is None or evm_address(safe.address) is None:
        return malformed("the wallet policy names no Safe")
    problem = _fields_problem(tx)
    if problem is not None:
        return malformed(f"the Safe transaction cannot be read: {problem}")
    try:
        computed = safe_tx_hash(safe, tx)
    except ValueError as error:
        return malformed(f"the wallet policy's Safe cannot be hashed for: {error}")
    tx_hash = "0x" + computed.hex()
    reasons: list[Reason] = []
    if policy.chain_id is not None and policy.chain_id != safe.chain_id:
        reasons.append(
            refused(
                Code.WRONG_CHAIN, "the Safe is on another chain", policy.chain_id, safe.chain_id
            )
        )
    if computed != tx.shown_hash:
        reasons.append(
            refused(
                Code.SAFE_HASH_MISMATCH,
                "the hash the signers were shown is not the hash of these fields",
                tx_hash,
                "0x" + tx.shown_hash.hex(),
            )
        )
    if tx.gas_price:
        reasons.append(
            refused(
                Code.SAFE_REFUND_NOT_ALLOWED,
                "a gas refund pays the refund receiver from the Safe",
                0,
                tx.gas_price,
            )
        )
    to = bytes.fromhex(tx.to[2:])
    calls = [(tx.operation, to, tx.value, tx.data)]
    multisend = {evm_address(a) for a in safe.multisend}
    if tx.operation == 1 and evm_hex(to) in multisend:
        if tx.value:
            return malformed("a delegatecall to MultiSend carries value", tx_hash)
        try:
            calls = _nested(tx.data)
        except Exception as error:  # eth-abi and slicing: any bad encoding
            return malformed(f"the MultiSend calldata cannot be read: {error}", tx_hash)
        if any(op == 1 and evm_hex(target) in multisend for op, target, _, _ in calls):
            return malformed("a MultiSend nests another MultiSend", tx_hash)
    transfers: list[Transfer] = []
    for operation, target, value, data in calls:
        read = _call(operation, target, value, data, safe, policy)
        if isinstance(read, Transfer):
            transfers.append(read)
        elif read is not None:
            reasons.append(read)
    return Decoded(tuple(transfers), tx_hash, tuple(reasons), 0)


def decode_safe(tx: SafeTransaction, policy: WalletPolicy) -> Decoded:
    """Return the transfers a Safe transaction makes, its ``safeTxHash``, and any refusal.

    Never raises: anything unreadable is a ``malformed_transaction`` refusal (ISM 29-1-4).
    """
    try:
        return _decode(tx, policy)
    except Exception as error:  # the contract: no input may escape as an exception
        return malformed(f"the Safe transaction cannot be read: {type(error).__name__}")
