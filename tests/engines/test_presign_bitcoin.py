"""Pre-sign verification of Bitcoin PSBTs (ISM 29-1-4): inputs ours, outputs exactly the
approved withdrawal plus change to our own addresses, fee within policy."""

from __future__ import annotations

import base64

from embit.psbt import PSBT

from mamori.engines.presign import Decision, Psbt, verify
from tests.engines.presign_kit import (
    ATTACKER,
    BTC_POLICY,
    CHANGE,
    CUSTOMER,
    NOW,
    RECEIVE,
    ROOT,
    btc_intent,
    good_psbt,
    psbt,
)


def check(tx: Psbt, *intents, halted=(), signed=()):
    return verify(tx, intents or (btc_intent(),), BTC_POLICY, halted, signed, NOW)


def test_the_approved_withdrawal_with_change_to_our_own_address_is_signed() -> None:
    verdict = check(good_psbt())
    assert verdict.decision is Decision.SIGN, verdict.reasons
    assert verdict.intents == ("w-btc-1",) and verdict.fee == 10_000
    assert [(t.recipient, t.amount) for t in verdict.transfers] == [(CUSTOMER, 40_000_000)]
    parsed = PSBT.from_string(good_psbt().data)
    assert verdict.tx_hash == parsed.tx.txid().hex()


def test_a_psbt_signed_by_our_key_after_the_sign_verdict_still_verifies() -> None:
    parsed = PSBT.from_string(good_psbt().data)
    assert parsed.sign_with(ROOT) == 1  # the BIP-84 key of the input signs it
    verdict = check(Psbt(parsed.serialize()))
    assert verdict.decision is Decision.SIGN, verdict.reasons


def test_change_sent_to_a_foreign_address_is_refused() -> None:
    verdict = check(psbt([(CUSTOMER, 40_000_000), (ATTACKER, 59_990_000)]))
    assert verdict.decision is Decision.REFUSE
    assert verdict.codes == ("destination_not_allowlisted",)
    assert verdict.reasons[0].got == ATTACKER


def test_an_altered_destination_is_refused_naming_the_approved_one() -> None:
    verdict = check(psbt([(ATTACKER, 40_000_000), (CHANGE, 59_990_000)]))
    assert verdict.codes == ("destination_not_allowlisted",)
    assert (verdict.reasons[0].expected, verdict.reasons[0].got) == (CUSTOMER, ATTACKER)


def test_an_amount_one_satoshi_more_is_refused() -> None:
    verdict = check(psbt([(CUSTOMER, 40_000_001), (CHANGE, 59_989_999)]))
    assert verdict.codes == ("amount_mismatch",)
    assert (verdict.reasons[0].expected, verdict.reasons[0].got) == ("40000000", "40000001")


def test_a_fee_above_the_policy_is_refused() -> None:
    verdict = check(psbt([(CUSTOMER, 40_000_000), (CHANGE, 59_900_000)]))
    assert verdict.decision is Decision.REFUSE
    assert set(verdict.codes) == {"fee_too_high"} and verdict.fee == 100_000


def test_a_fee_rate_above_the_policy_is_refused_though_the_fee_is_under_its_cap() -> None:
    # 40,000 sat for a ~140 vB transaction: far above 100 sat/vB, under the 50,000 cap
    verdict = check(psbt([(CUSTOMER, 40_000_000), (CHANGE, 59_960_000)]))
    assert verdict.codes == ("fee_too_high",) and "sat/vB" in verdict.reasons[0].got


def test_an_input_without_its_amount_is_refused() -> None:
    verdict = check(psbt([(CUSTOMER, 40_000_000), (CHANGE, 59_990_000)], utxo=False))
    assert verdict.codes == ("input_amount_unknown",)


def test_the_full_previous_transaction_is_accepted_and_checked() -> None:
    tx = psbt([(CUSTOMER, 40_000_000), (CHANGE, 59_990_000)], utxo=False, full=True)
    assert check(tx).decision is Decision.SIGN


def test_an_input_from_someone_elses_address_is_refused() -> None:
    policy_without_input = BTC_POLICY.__class__(
        **{**BTC_POLICY.__dict__, "own_addresses": frozenset([CHANGE, *RECEIVE[1:]])}
    )
    verdict = verify(good_psbt(), (btc_intent(),), policy_without_input, (), (), NOW)
    assert verdict.codes == ("input_not_ours",)


def test_a_psbt_replayed_after_it_was_signed_is_refused() -> None:
    first = check(good_psbt())
    again = check(good_psbt(), signed={first.tx_hash})
    assert again.codes == ("replay",)


def test_two_withdrawals_in_one_psbt_each_match_their_own_intent() -> None:
    two = (btc_intent(), btc_intent(amount=1_000_000, destination=ATTACKER, id="w-btc-2"))
    tx = psbt([(CUSTOMER, 40_000_000), (ATTACKER, 1_000_000), (CHANGE, 58_990_000)])
    verdict = check(tx, *two)
    assert verdict.decision is Decision.SIGN and verdict.intents == ("w-btc-1", "w-btc-2")


def test_the_same_withdrawal_paid_twice_is_refused() -> None:
    tx = psbt([(CUSTOMER, 40_000_000), (CUSTOMER, 40_000_000), (CHANGE, 19_990_000)])
    assert check(tx).codes == ("unmatched_transfer",)


def test_base64_text_and_raw_bytes_are_read_alike() -> None:
    text = good_psbt().data
    assert isinstance(text, str)
    raw = base64.b64decode(text)
    assert check(Psbt(raw)) == check(Psbt(text)) == check(Psbt(text.encode()))
