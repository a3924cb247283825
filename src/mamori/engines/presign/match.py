"""Match a transaction about to be signed with the approved withdrawals (ISM 29-1-4).

:func:`verify` decodes the transaction (PSBT, EVM or Safe), then matches each transfer it
makes to exactly one approved withdrawal intent: same chain and asset, the same destination
(case-insensitively for EVM and bech32), the same amount to the base unit, the registered token
contract for an ERC-20; the intent not expired and not already signed, the transaction not
signed before (replay), no halt on the asset. A transfer no intent accounts for is refused,
with the nearest intent's expected value beside what was got. The answer is deterministic:
the same inputs give the same verdict, reasons in the same order.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from mamori.engines.presign.bitcoin import decode_psbt
from mamori.engines.presign.calls import index
from mamori.engines.presign.common import normalise, refused
from mamori.engines.presign.evm import decode_evm
from mamori.engines.presign.safe import decode_safe
from mamori.engines.presign.values import (
    Code,
    Decision,
    Decoded,
    EvmTransaction,
    IntentState,
    Psbt,
    Reason,
    SafeTransaction,
    Transaction,
    Transfer,
    Verdict,
    WalletPolicy,
    WithdrawalIntent,
)

__all__ = ["decode", "verify"]


def decode(transaction: Transaction, policy: WalletPolicy) -> Decoded:
    """Return what ``transaction`` would do, read by the decoder of its kind; never raises."""
    if isinstance(transaction, Psbt):
        return decode_psbt(transaction, policy)
    if isinstance(transaction, EvmTransaction):
        return decode_evm(transaction, policy)
    if isinstance(transaction, SafeTransaction):
        return decode_safe(transaction, policy)
    return Decoded(
        (), None, (refused(Code.MALFORMED_TRANSACTION, "not a PSBT, EVM or Safe transaction"),)
    )


def _contract_reason(
    transfer: Transfer, intents: list[WithdrawalIntent], policy: WalletPolicy
) -> Reason | None:
    """Return why an ERC-20 transfer's token contract is wrong, or None when it is right."""
    if transfer.contract is None:
        return None
    registered = index(policy).contract_of_asset
    if transfer.asset is not None:
        for intent in intents:
            wanted = intent.token_contract
            if (
                intent.asset == transfer.asset
                and normalise(intent.destination) == transfer.recipient
                and wanted is not None
                and normalise(wanted) != transfer.contract
            ):
                return refused(
                    Code.WRONG_TOKEN_CONTRACT,
                    f"the intent {intent.id} names another {intent.asset} contract",
                    normalise(wanted),
                    transfer.contract,
                )
        return None
    same = [i for i in intents if normalise(i.destination) == transfer.recipient]
    same = same or intents
    expected = next((registered[i.asset] for i in same if i.asset in registered), None)
    return refused(
        Code.WRONG_TOKEN_CONTRACT,
        f"the token contract {transfer.contract} is not registered for any asset",
        expected,
        transfer.contract,
    )


def _nearest(transfer: Transfer, intents: list[WithdrawalIntent], policy: WalletPolicy) -> Reason:
    """Return why no intent accounts for ``transfer``, against the nearest one."""
    to, amount, asset = transfer.recipient, transfer.amount, transfer.asset
    for intent in intents:
        if intent.asset == asset and normalise(intent.destination) == to:
            return refused(
                Code.AMOUNT_MISMATCH,
                f"the transfer to {to} is not the amount approved in {intent.id}",
                intent.amount,
                amount,
            )
    for intent in intents:
        if normalise(intent.destination) == to and transfer.contract is not None:
            wanted = intent.token_contract or index(policy).contract_of_asset.get(intent.asset)
            return refused(
                Code.WRONG_TOKEN_CONTRACT,
                f"the transfer to {to} is of another token than {intent.asset} in {intent.id}",
                None if wanted is None else normalise(wanted),
                transfer.contract,
            )
        if normalise(intent.destination) == to:
            return refused(
                Code.ASSET_MISMATCH,
                f"the transfer to {to} is not the asset approved in {intent.id}",
                intent.asset,
                asset,
            )
    near = next((i for i in intents if i.asset == asset and i.amount == amount), None)
    return refused(
        Code.DESTINATION_NOT_ALLOWLISTED,
        f"no approved withdrawal pays {amount} {asset} to {to}",
        None if near is None else normalise(near.destination),
        to,
    )


def _order(intents: Iterable[WithdrawalIntent], now: datetime) -> list[WithdrawalIntent]:
    """Return intents usable first (approved, not expired), then by id: a fixed order."""
    return sorted(
        intents,
        key=lambda i: (i.state is not IntentState.APPROVED, i.expires_at <= now, i.id),
    )


def _match(
    transfers: tuple[Transfer, ...],
    intents: list[WithdrawalIntent],
    policy: WalletPolicy,
    now: datetime,
) -> tuple[list[str], list[Reason]]:
    used: list[str] = []
    reasons: list[Reason] = []
    for transfer in transfers:
        wrong_contract = _contract_reason(transfer, intents, policy)
        if wrong_contract is not None:
            reasons.append(wrong_contract)
            continue
        fitting = [
            i
            for i in intents
            if i.asset == transfer.asset
            and normalise(i.destination) == transfer.recipient
            and i.amount == transfer.amount
        ]
        free = [i for i in fitting if i.id not in used]
        if not fitting:
            reasons.append(_nearest(transfer, intents, policy))
            continue
        if not free:
            reasons.append(
                refused(
                    Code.UNMATCHED_TRANSFER,
                    f"a second transfer of {transfer.amount} to {transfer.recipient}: its "
                    "intent is already matched by another transfer",
                    1,
                    2,
                )
            )
            continue
        intent = free[0]
        used.append(intent.id)
        if intent.state is IntentState.SIGNED:
            reasons.append(
                refused(Code.REPLAY, f"the intent {intent.id} was already signed", None, intent.id)
            )
        if intent.expires_at <= now:
            reasons.append(
                refused(
                    Code.INTENT_EXPIRED,
                    f"the intent {intent.id} expired",
                    f"before {intent.expires_at.isoformat()}",
                    now.isoformat(),
                )
            )
    return used, reasons


def verify(
    transaction: Transaction,
    intents: Iterable[WithdrawalIntent],
    policy: WalletPolicy,
    halted_assets: Collection[str],
    signed_hashes: Collection[str],
    now: datetime,
    decoded: Decoded | None = None,
) -> Verdict:
    """Return *sign* when ``transaction`` is exactly approved withdrawals, else *refuse*.

    ``intents`` are the approved (and signed) withdrawal intents of the wallet's chain;
    ``halted_assets`` the assets halted now; ``signed_hashes`` the hashes already signed;
    ``decoded``, if the caller already has it, :func:`decode` of the same transaction and
    policy (read once, not twice). Never raises for any transaction (ISM 29-1-4).
    """
    if decoded is None:
        decoded = decode(transaction, policy)
    reasons = list(decoded.reasons)
    if decoded.tx_hash is not None and decoded.tx_hash in signed_hashes:
        reasons.append(
            refused(Code.REPLAY, "this transaction was already signed", None, decoded.tx_hash)
        )
    if not decoded.transfers and not reasons:
        reasons.append(refused(Code.NO_TRANSFER, "the transaction transfers nothing"))
    candidates = _order((i for i in intents if i.chain == policy.chain), now)
    used, matching = _match(decoded.transfers, candidates, policy, now)
    reasons += matching
    halted = {
        t.asset for t in decoded.transfers if t.asset is not None and t.asset in halted_assets
    }
    for asset in sorted(halted):
        reasons.append(
            refused(Code.ASSET_HALTED, f"withdrawals of {asset} are halted", None, asset)
        )
    return Verdict(
        Decision.REFUSE if reasons else Decision.SIGN,
        tuple(reasons),
        decoded.tx_hash,
        decoded.transfers,
        tuple(used),
        decoded.fee,
    )
