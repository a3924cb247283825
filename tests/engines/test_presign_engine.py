"""Matching a transaction to approved withdrawal intents (ISM 29-1-4): one intent per
transfer, deterministic answers, the public surface pinned."""

from __future__ import annotations

import random
from dataclasses import replace

import mamori.engines.presign as presign
from mamori.engines.presign import Decision, IntentState, verify
from tests.engines.presign_kit import (
    DEST,
    EVM_POLICY,
    NOW,
    USDC,
    erc20_transfer,
    evm_intent,
    evm_tx,
)


def test_the_public_surface_is_pinned() -> None:
    assert sorted(presign.__all__) == [
        "Code", "Decision", "Decoded", "EvmTransaction", "FeePolicy", "IntentState",
        "OWNER_CHANGES", "Psbt", "Reason", "SafePolicy", "SafeTransaction", "Transaction",
        "Transfer", "Verdict", "WalletPolicy", "WithdrawalIntent", "decode", "decode_evm",
        "decode_psbt", "decode_safe", "safe_tx_hash", "verify",
    ]  # fmt: skip


def test_every_code_is_a_stable_snake_case_word() -> None:
    assert all(code.value == code.name.lower() for code in presign.Code)


def test_the_verdict_is_the_same_whatever_the_order_of_the_intents() -> None:
    intents = [
        evm_intent(id=f"w-{n}", state=IntentState.SIGNED if n % 2 else IntentState.APPROVED)
        for n in range(8)
    ]
    verdicts = set()
    for seed in range(10):
        random.Random(seed).shuffle(intents)
        verdicts.add(verify(evm_tx(), intents, EVM_POLICY, (), (), NOW))
    assert len(verdicts) == 1
    (verdict,) = verdicts
    assert verdict.decision is Decision.SIGN and verdict.intents == ("w-0",)


def test_an_unsigned_intent_is_preferred_to_a_signed_one_for_the_same_payment() -> None:
    intents = (evm_intent(id="a", state=IntentState.SIGNED), evm_intent(id="b"))
    assert verify(evm_tx(), intents, EVM_POLICY, (), (), NOW).intents == ("b",)


def test_an_intent_of_another_chain_does_not_count() -> None:
    other = replace(evm_intent(), chain="polygon")
    verdict = verify(evm_tx(), (other,), EVM_POLICY, (), (), NOW)
    assert verdict.codes == ("destination_not_allowlisted",)


def test_another_asset_to_the_approved_destination_is_refused() -> None:
    verdict = verify(evm_tx(), (evm_intent("USDC", 3 * 10**18),), EVM_POLICY, (), (), NOW)
    assert verdict.codes == ("asset_mismatch",)
    assert (verdict.reasons[0].expected, verdict.reasons[0].got) == ("USDC", "ETH")


def test_no_intent_at_all_refuses_naming_the_recipient() -> None:
    verdict = verify(evm_tx(), (), EVM_POLICY, (), (), NOW)
    assert verdict.codes == ("destination_not_allowlisted",)
    assert verdict.reasons[0].got == DEST.lower() and verdict.tx_hash is not None


def test_every_broken_check_is_reported_at_once() -> None:
    tx = evm_tx(to=USDC, value=0, gas=1_000_000, data=erc20_transfer(DEST, 1_500_000))
    intent = evm_intent("USDC", 1_500_000, state=IntentState.SIGNED)
    verdict = verify(tx, (intent,), EVM_POLICY, {"USDC"}, (), NOW)
    assert verdict.codes == ("fee_too_high", "replay", "asset_halted")


def test_a_verdict_reads_as_json_with_amounts_as_digits() -> None:
    import json

    verdict = verify(evm_tx(value=3 * 10**18 + 1), (evm_intent(),), EVM_POLICY, (), (), NOW)
    data = json.loads(json.dumps(verdict.as_dict()))
    assert data["decision"] == "refuse" and data["tx_hash"] == verdict.tx_hash
    assert data["reasons"][0]["code"] == "amount_mismatch"
    assert data["reasons"][0]["expected"] == str(3 * 10**18)
    assert data["transfers"][0]["amount"] == "3000000000000000001"
    assert data["fee"] == str(21_000 * 30 * 10**9)
