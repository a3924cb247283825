"""The values of pre-sign verification (ISM 29-1-4): intents, policies, transactions, verdicts.

ISM 29-1-4 asks that a transfer be checked, before it is signed, to be exactly the transfer
that was approved. Everything here is a frozen value: the approved withdrawal intents and the
wallet's policy go in, a transaction to be signed goes in, a :class:`Verdict` comes out — *sign*
or *refuse*, with one :class:`Reason` per broken check, each with a stable code.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "Code",
    "Decision",
    "Decoded",
    "EvmTransaction",
    "FeePolicy",
    "IntentState",
    "Psbt",
    "Reason",
    "SafePolicy",
    "SafeTransaction",
    "Transaction",
    "Transfer",
    "Verdict",
    "WalletPolicy",
    "WithdrawalIntent",
]


class Code(enum.StrEnum):
    """Why a transaction is refused: stable codes a caller may act on."""

    MALFORMED_TRANSACTION = "malformed_transaction"
    WRONG_CHAIN = "wrong_chain"
    INPUT_NOT_OURS = "input_not_ours"
    INPUT_AMOUNT_UNKNOWN = "input_amount_unknown"
    SIGHASH_NOT_ALLOWED = "sighash_not_allowed"
    FEE_TOO_HIGH = "fee_too_high"
    CALLDATA_NOT_ALLOWED = "calldata_not_allowed"
    WRONG_TOKEN_CONTRACT = "wrong_token_contract"
    SAFE_HASH_MISMATCH = "safe_hash_mismatch"
    SAFE_REFUND_NOT_ALLOWED = "safe_refund_not_allowed"
    DELEGATECALL_TARGET_NOT_ALLOWED = "delegatecall_target_not_allowed"
    SAFE_OWNER_CHANGE = "safe_owner_change"
    DESTINATION_NOT_ALLOWLISTED = "destination_not_allowlisted"
    AMOUNT_MISMATCH = "amount_mismatch"
    ASSET_MISMATCH = "asset_mismatch"
    UNMATCHED_TRANSFER = "unmatched_transfer"
    NO_TRANSFER = "no_transfer"
    INTENT_EXPIRED = "intent_expired"
    REPLAY = "replay"
    ASSET_HALTED = "asset_halted"
    CUSTOMER_HALTED = "customer_halted"
    WALLET_NOT_REGISTERED = "wallet_not_registered"


class Decision(enum.StrEnum):
    """The answer to the signer."""

    SIGN = "sign"
    REFUSE = "refuse"


class IntentState(enum.StrEnum):
    """Where an approved withdrawal stands."""

    APPROVED = "approved"
    SIGNED = "signed"


@dataclass(frozen=True)
class Reason:
    """One broken check: a stable ``code``, words, and what was expected against what was got."""

    code: Code
    message: str
    expected: str | None = None
    got: str | None = None


@dataclass(frozen=True)
class WithdrawalIntent:
    """A withdrawal approved by the custody check (with its approvals), waiting to be signed.

    ``amount`` is in the asset's base unit (satoshi, wei, token units); ``token_contract`` is
    set for an ERC-20 asset; ``chain`` names the chain as the wallet policy does.
    """

    id: str
    asset: str
    chain: str
    destination: str
    amount: int
    expires_at: datetime
    state: IntentState = IntentState.APPROVED
    token_contract: str | None = None
    approvals: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeePolicy:
    """The most a transaction may spend on fees: absolute (base units) and per unit of size.

    For Bitcoin the rate is satoshi per virtual byte (estimated from the PSBT); for an EVM
    chain it is the gas price (wei per gas: ``gasPrice`` or ``maxFeePerGas``) and the absolute
    fee is the worst case, gas limit × that price. None: no limit of that kind.
    """

    max_fee: int | None = None
    max_fee_rate: int | None = None


@dataclass(frozen=True)
class SafePolicy:
    """A Safe multisig: its address, chain and contract version, what it may ``delegatecall``.

    ``version`` decides the EIP-712 domain: from 1.3.0 it holds the chain id, from 1.0.0 to
    1.2.0 only the Safe's address (Bybit's Safe was 1.1.1); older Safes are not supported.

    ``delegatecall_allowlist`` is explicit: a delegatecall runs the target's code with the
    Safe's storage, so anything else could overwrite slot 0 (the singleton) as at Bybit.
    ``multisend`` lists the MultiSend contracts whose nested calls are each checked.
    """

    address: str
    chain_id: int
    delegatecall_allowlist: frozenset[str] = frozenset()
    multisend: frozenset[str] = frozenset()
    version: str = "1.3.0"


@dataclass(frozen=True)
class WalletPolicy:
    """One wallet: its chain, our own addresses (inputs, change, senders), fees, tokens, Safe.

    ``network`` is the Bitcoin network name of embit (``main``, ``test``, ``regtest``,
    ``signet``); ``chain_id`` the EVM chain id; ``token_contracts`` maps an asset to its
    registered ERC-20 contract.
    """

    chain: str
    native_asset: str
    own_addresses: frozenset[str]
    fee: FeePolicy = field(default_factory=FeePolicy)
    network: str = "main"
    chain_id: int | None = None
    token_contracts: tuple[tuple[str, str], ...] = ()
    safe: SafePolicy | None = None


@dataclass(frozen=True)
class Psbt:
    """A Bitcoin PSBT (BIP-174) about to be signed: raw bytes or base64 text."""

    data: bytes | str


@dataclass(frozen=True)
class EvmTransaction:
    """An EVM transaction about to be signed (or signed, to be sent): its raw serialisation —
    legacy RLP, or typed (EIP-2930 ``0x01``, EIP-1559 ``0x02``), signed or unsigned."""

    raw: bytes


@dataclass(frozen=True)
class SafeTransaction:
    """A Safe transaction's fields and the ``safeTxHash`` the signers were shown / will sign."""

    to: str
    value: int
    data: bytes
    operation: int
    safe_tx_gas: int
    base_gas: int
    gas_price: int
    gas_token: str
    refund_receiver: str
    nonce: int
    shown_hash: bytes


Transaction = Psbt | EvmTransaction | SafeTransaction


@dataclass(frozen=True)
class Transfer:
    """One movement of value the transaction would make: asset (None: an unregistered token),
    recipient (normalised), amount in base units, the token contract for an ERC-20."""

    asset: str | None
    recipient: str
    amount: int
    contract: str | None = None


@dataclass(frozen=True)
class Decoded:
    """What a decoder read: the transfers, the hash that would be signed, refusals found."""

    transfers: tuple[Transfer, ...]
    tx_hash: str | None
    reasons: tuple[Reason, ...] = ()
    fee: int | None = None


@dataclass(frozen=True)
class Verdict:
    """The answer: sign or refuse, every reason, the hash signed, the intents it fulfils."""

    decision: Decision
    reasons: tuple[Reason, ...]
    tx_hash: str | None
    transfers: tuple[Transfer, ...] = ()
    intents: tuple[str, ...] = ()
    fee: int | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        """Return the reasons' codes, in order."""
        return tuple(str(reason.code) for reason in self.reasons)

    def as_dict(self) -> dict[str, object]:
        """Return the verdict as JSON-ready values (amounts as strings of digits), as an
        answer or an audit-log entry carries it."""
        return {
            "decision": str(self.decision),
            "tx_hash": self.tx_hash,
            "reasons": [
                {"code": str(r.code), "message": r.message, "expected": r.expected, "got": r.got}
                for r in self.reasons
            ],
            "transfers": [
                {
                    "asset": t.asset,
                    "recipient": t.recipient,
                    "amount": str(t.amount),
                    "contract": t.contract,
                }
                for t in self.transfers
            ],
            "intents": list(self.intents),
            "fee": None if self.fee is None else str(self.fee),
        }
