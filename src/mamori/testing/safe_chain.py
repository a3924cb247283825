"""A Safe-like multisig on a real local node, for proving pre-sign verification (ISM 29-1-4).

:func:`deploy_safe` puts ``MiniSafe`` (``contracts/MiniSafe.sol``: owners, threshold, slot 0
the singleton as in a Safe proxy, Safe 1.3.0's EIP-712 ``SafeTx`` hash) on an anvil node;
:meth:`SafeChain.transaction` builds the engine's :class:`SafeTransaction` with the hash the
contract itself computes; :func:`co_sign` is the signing service's seam — the service is asked
``ask(transaction)`` and the owners sign only when it answers *sign* (:func:`engine_ask` is
such a service, the engine's ``verify`` in process); :meth:`SafeChain.execute`
submits ``execTransaction`` and raises :class:`Reverted` when the chain refuses it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from mamori.engines.presign import (
    Decision,
    SafeTransaction,
    WalletPolicy,
    WithdrawalIntent,
    verify,
)
from mamori.testing.anvil import Anvil

__all__ = [
    "SAFE_TX_TYPES",
    "ZERO_ADDRESS",
    "Ask",
    "CoSigned",
    "Reverted",
    "SafeChain",
    "co_sign",
    "deploy_safe",
    "eip712_safe_tx_hash",
    "engine_ask",
    "erc20_transfer",
    "multisend",
    "owner_accounts",
    "sign_safe_hash",
]

ZERO_ADDRESS = "0x" + "00" * 20
EXEC_TYPES = [
    "address",
    "uint256",
    "bytes",
    "uint8",
    "uint256",
    "uint256",
    "uint256",
    "address",
    "address",
]

#: the signing service: given the transaction about to be signed, its verdict as
#: ``Verdict.as_dict()`` gives it (``{"decision": "sign" | "refuse", "reasons": [...], …}``)
Ask = Callable[[SafeTransaction], Mapping[str, Any]]


class Reverted(RuntimeError):
    """The chain refused a transaction: it was mined and reverted (``receipt``), with the
    contract's reason when one could be read."""

    def __init__(self, reason: str, receipt: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.receipt = receipt


def _selector(signature: str) -> bytes:
    return bytes(keccak(text=signature))[:4]


def erc20_transfer(to: str, amount: int) -> bytes:
    """Return the calldata of ``transfer(to, amount)``."""
    return _selector("transfer(address,uint256)") + abi_encode(["address", "uint256"], [to, amount])


SAFE_TX_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "SafeTx": [
        {"name": "to", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "data", "type": "bytes"},
        {"name": "operation", "type": "uint8"},
        {"name": "safeTxGas", "type": "uint256"},
        {"name": "baseGas", "type": "uint256"},
        {"name": "gasPrice", "type": "uint256"},
        {"name": "gasToken", "type": "address"},
        {"name": "refundReceiver", "type": "address"},
        {"name": "nonce", "type": "uint256"},
    ],
}


def eip712_safe_tx_hash(safe: str, chain_id: int | None, tx: SafeTransaction) -> bytes:
    """Return the SafeTx hash as eth-account encodes it from Safe's EIP-712 type definition,
    independently of the engine (a Safe older than 1.3.0 when ``chain_id`` is None: its
    domain is the address alone)."""
    message = {
        "to": tx.to,
        "value": tx.value,
        "data": tx.data,
        "operation": tx.operation,
        "safeTxGas": tx.safe_tx_gas,
        "baseGas": tx.base_gas,
        "gasPrice": tx.gas_price,
        "gasToken": tx.gas_token,
        "refundReceiver": tx.refund_receiver,
        "nonce": tx.nonce,
    }
    types, domain = SAFE_TX_TYPES, {"chainId": chain_id, "verifyingContract": safe}
    if chain_id is None:
        types = {**types, "EIP712Domain": types["EIP712Domain"][1:]}
        domain = {"verifyingContract": safe}
    signable = encode_typed_data(
        full_message={"types": types, "primaryType": "SafeTx", "domain": domain, "message": message}
    )
    return bytes(_hash_eip191_message(signable))


def multisend(*calls: tuple[int, str, int, bytes]) -> bytes:
    """Return the calldata of ``multiSend(bytes)`` for ``calls`` (operation, to, value, data),
    packed as Safe's MultiSend (and ``MiniMultiSend``) reads them."""
    packed = b"".join(
        bytes([operation])
        + bytes.fromhex(to[2:])
        + value.to_bytes(32, "big")
        + len(data).to_bytes(32, "big")
        + data
        for operation, to, value, data in calls
    )
    return _selector("multiSend(bytes)") + abi_encode(["bytes"], [packed])


def owner_accounts(count: int, seed: str = "mamori-safe-owner") -> list[LocalAccount]:
    """Return ``count`` owner keys derived from ``seed`` (test keys, never real ones)."""
    return [Account.from_key(keccak(text=f"{seed}:{n}")) for n in range(count)]


def sign_safe_hash(safe_tx_hash: bytes, owners: Sequence[LocalAccount]) -> bytes:
    """Return the owners' signatures of ``safe_tx_hash`` as ``execTransaction`` takes them:
    65 bytes each (r, s, v), in ascending order of the owners' addresses."""
    ordered = sorted(owners, key=lambda account: int(account.address, 16))
    signatures = b""
    for account in ordered:
        signed = Account.unsafe_sign_hash(safe_tx_hash, account.key)
        signatures += (
            signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])
        )
    return signatures


@dataclass(frozen=True)
class CoSigned:
    """What the co-signing gave: the service's answer, the owners who signed and their
    signatures (none when the answer was not *sign*)."""

    answer: Mapping[str, Any]
    signers: tuple[str, ...]
    signatures: bytes = field(repr=False)

    @property
    def signed(self) -> bool:
        """Return whether the owners signed."""
        return bool(self.signers)

    @property
    def codes(self) -> tuple[str, ...]:
        """Return the codes of the answer's reasons, in order."""
        return tuple(str(reason["code"]) for reason in self.answer.get("reasons", ()))


def co_sign(transaction: SafeTransaction, ask: Ask, owners: Sequence[LocalAccount]) -> CoSigned:
    """Ask the signing service ``ask`` about ``transaction`` before any owner signs its shown
    ``safeTxHash`` (ISM 29-1-4); the owners sign only when the answer's decision is ``sign``
    and, when the answer names the hash it verified (``tx_hash``), that hash is the one they
    are about to sign."""
    answer = ask(transaction)
    verified = answer.get("tx_hash")
    shown = "0x" + transaction.shown_hash.hex()
    if answer.get("decision") != "sign" or (
        verified is not None and str(verified).lower() != shown
    ):
        return CoSigned(answer, (), b"")
    signatures = sign_safe_hash(transaction.shown_hash, owners)
    return CoSigned(answer, tuple(o.address for o in owners), signatures)


def engine_ask(
    intents: Iterable[WithdrawalIntent],
    policy: WalletPolicy,
    *,
    signed_hashes: set[str] | None = None,
    halted_assets: Collection[str] = (),
    now: datetime | None = None,
) -> Ask:
    """Return a signing service answering with the pre-sign engine's :func:`verify` in
    process: a hash it answers *sign* for is added to ``signed_hashes`` (so asking again
    is a replay), as a service recording what it let be signed does."""
    intents = tuple(intents)
    signed = signed_hashes if signed_hashes is not None else set()

    def ask(transaction: SafeTransaction) -> Mapping[str, Any]:
        when = now if now is not None else datetime.now(UTC)
        verdict = verify(transaction, intents, policy, halted_assets, frozenset(signed), when)
        if verdict.decision is Decision.SIGN and verdict.tx_hash is not None:
            signed.add(verdict.tx_hash)
        return verdict.as_dict()

    return ask


@dataclass
class SafeChain:
    """A deployed ``MiniSafe``: its node, address, owners and threshold."""

    node: Anvil
    address: str
    owners: tuple[LocalAccount, ...]
    threshold: int
    chain_id: int
    version: str = "1.3.0"

    def call(self, to: str, data: bytes) -> bytes:
        """Return what ``eth_call`` of ``data`` on ``to`` answers."""
        result = self.node.rpc("eth_call", [{"to": to, "data": "0x" + data.hex()}, "latest"])
        return bytes.fromhex(str(result)[2:])

    def nonce(self) -> int:
        """Return the Safe's nonce (of its next transaction)."""
        return int.from_bytes(self.call(self.address, _selector("nonce()")), "big")

    def slot0(self) -> str:
        """Return storage slot 0 (the singleton) as a checksummed address."""
        word = self.node.rpc("eth_getStorageAt", [self.address, "0x0", "latest"])
        return to_checksum_address("0x" + str(word)[-40:])

    def balance(self, address: str) -> int:
        """Return the native balance of ``address`` in wei."""
        return int(self.node.rpc("eth_getBalance", [address, "latest"]), 16)

    def token_balance(self, token: str, address: str) -> int:
        """Return ``token.balanceOf(address)``."""
        data = _selector("balanceOf(address)") + abi_encode(["address"], [address])
        return int.from_bytes(self.call(token, data), "big")

    def _fields(self, tx: SafeTransaction) -> list[Any]:
        return [
            tx.to,
            tx.value,
            tx.data,
            tx.operation,
            tx.safe_tx_gas,
            tx.base_gas,
            tx.gas_price,
            tx.gas_token,
            tx.refund_receiver,
        ]

    def onchain_hash(self, tx: SafeTransaction) -> bytes:
        """Return the ``safeTxHash`` of ``tx``'s fields as the contract computes it
        (``getTransactionHash``)."""
        signature = (
            "getTransactionHash(address,uint256,bytes,uint8,uint256,uint256,uint256,"
            "address,address,uint256)"
        )
        data = _selector(signature) + abi_encode(
            [*EXEC_TYPES, "uint256"], [*self._fields(tx), tx.nonce]
        )
        (found,) = abi_decode(["bytes32"], self.call(self.address, data))
        return bytes(found)

    def transaction(
        self,
        to: str,
        value: int = 0,
        data: bytes = b"",
        operation: int = 0,
        *,
        nonce: int | None = None,
        safe_tx_gas: int = 0,
        base_gas: int = 0,
        gas_price: int = 0,
        gas_token: str = ZERO_ADDRESS,
        refund_receiver: str = ZERO_ADDRESS,
    ) -> SafeTransaction:
        """Return a Safe transaction (the Safe's next nonce unless given) whose shown hash is
        the one the contract computes — what a wallet would show its signers."""
        tx = SafeTransaction(
            to,
            value,
            data,
            operation,
            safe_tx_gas,
            base_gas,
            gas_price,
            gas_token,
            refund_receiver,
            self.nonce() if nonce is None else nonce,
            bytes(32),
        )
        return replace(tx, shown_hash=self.onchain_hash(tx))

    def execute(self, tx: SafeTransaction, signatures: bytes) -> dict[str, Any]:
        """Submit ``execTransaction(tx, signatures)`` from the node's funded dev account and
        return its receipt; raise :class:`Reverted` (with the contract's reason) when it is
        mined and reverts — nothing of it happened then."""
        signature = (
            "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,"
            "address,address,bytes)"
        )
        data = _selector(signature) + abi_encode(
            [*EXEC_TYPES, "bytes"], [*self._fields(tx), signatures]
        )
        call = {"from": self.node.owner, "to": self.address, "data": "0x" + data.hex()}
        block = self.node.rpc("eth_blockNumber")
        tx_hash = self.node.rpc("eth_sendTransaction", [{**call, "gas": hex(2_000_000)}])
        receipt: dict[str, Any] | None = None
        deadline = time.monotonic() + 10
        while receipt is None and time.monotonic() < deadline:
            receipt = self.node.rpc("eth_getTransactionReceipt", [tx_hash])
            if receipt is None:
                time.sleep(0.01)
        if receipt is None or receipt.get("status") != "0x1":
            answer = self.node.client.post(
                self.node.url,
                json={"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [call, block]},
            ).json()
            raise Reverted(str(answer.get("error", {}).get("message", "reverted")), receipt)
        return receipt


def deploy_safe(
    node: Anvil,
    owners: Sequence[LocalAccount],
    threshold: int,
    *,
    singleton: str,
    funds: int = 0,
    version: str = "1.3.0",
) -> SafeChain:
    """Deploy ``MiniSafe`` with ``owners`` and ``threshold`` and ``singleton`` in slot 0,
    holding ``funds`` wei; ``version`` "1.3.0" hashes with Safe 1.3.0's EIP-712 domain (chain
    id and address), "1.1.1" with the older one (the address alone)."""
    if version not in ("1.3.0", "1.1.1"):
        raise ValueError(f"MiniSafe hashes as Safe 1.3.0 or 1.1.1, not {version}")
    arguments = abi_encode(
        ["address[]", "uint256", "address", "bool"],
        [[o.address for o in owners], threshold, singleton, version == "1.1.1"],
    )
    address = node.deploy("MiniSafe", arguments, funds)
    chain_id = int(node.rpc("eth_chainId"), 16)
    return SafeChain(node, address, tuple(owners), threshold, chain_id, version)
