"""Pre-sign verification of EVM transactions (ISM 29-1-4): native and ERC-20 transfers,
legacy / EIP-2930 / EIP-1559, signed or not, the chain id, the sender, the fee."""

from __future__ import annotations

from datetime import timedelta

import pytest
from eth_account import Account
from eth_account._utils.legacy_transactions import (
    serializable_unsigned_transaction_from_dict,
)
from eth_utils import to_checksum_address

from mamori.engines.presign import Decision, EvmTransaction, IntentState, verify
from tests.engines.presign_kit import (
    DEST,
    EVM_POLICY,
    FAKE_USDC,
    HOT,
    NOW,
    USDC,
    USDT,
    erc20_transfer,
    evm_intent,
    evm_tx,
)

# DEST with its last digit changed, as an altered transfer request would
EVIL = to_checksum_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAee")


def check(tx, *intents, halted=(), signed=()):
    return verify(tx, intents or (evm_intent(),), EVM_POLICY, halted, signed, NOW)


@pytest.mark.parametrize("kind", [0, 1, 2])
@pytest.mark.parametrize("signed", [True, False])
def test_a_native_transfer_of_each_type_is_signed(kind: int, signed: bool) -> None:
    verdict = check(evm_tx(kind, signed))
    assert verdict.decision is Decision.SIGN, verdict.reasons
    assert verdict.intents == ("w-eth-1",)


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_the_hash_reported_is_the_one_eth_account_signs(kind: int) -> None:
    tx = {"nonce": 7, "gas": 21_000, "to": DEST, "value": 3 * 10**18, "data": b"", "chainId": 1}
    if kind == 2:
        tx |= {"type": 2, "maxFeePerGas": 30 * 10**9, "maxPriorityFeePerGas": 10**9}
    else:
        tx |= {"gasPrice": 30 * 10**9} | ({"type": 1, "accessList": []} if kind == 1 else {})
    expected = "0x" + serializable_unsigned_transaction_from_dict(tx).hash().hex()
    assert check(evm_tx(kind)).tx_hash == expected
    assert check(evm_tx(kind, signed=False)).tx_hash == expected


def test_an_altered_destination_is_refused() -> None:
    verdict = check(evm_tx(to=EVIL))
    assert verdict.codes == ("destination_not_allowlisted",)
    assert (verdict.reasons[0].expected, verdict.reasons[0].got) == (DEST.lower(), EVIL.lower())


def test_the_destination_is_compared_whatever_its_case() -> None:
    intent = evm_intent(destination=DEST.lower())
    assert check(evm_tx(to=DEST), intent).decision is Decision.SIGN


def test_an_amount_one_wei_more_is_refused() -> None:
    verdict = check(evm_tx(value=3 * 10**18 + 1))
    assert verdict.codes == ("amount_mismatch",)
    assert verdict.reasons[0].got == str(3 * 10**18 + 1)


def test_an_erc20_transfer_on_the_registered_contract_is_signed() -> None:
    tx = evm_tx(to=USDC, value=0, gas=60_000, data=erc20_transfer(DEST, 1_500_000))
    verdict = check(tx, evm_intent("USDC", 1_500_000))
    assert verdict.decision is Decision.SIGN, verdict.reasons
    assert verdict.transfers[0].contract == USDC.lower()


def test_an_erc20_transfer_to_an_allowlisted_address_on_the_wrong_contract_is_refused() -> None:
    tx = evm_tx(to=FAKE_USDC, value=0, gas=60_000, data=erc20_transfer(DEST, 1_500_000))
    verdict = check(tx, evm_intent("USDC", 1_500_000))
    assert verdict.codes == ("wrong_token_contract",)
    assert (verdict.reasons[0].expected, verdict.reasons[0].got) == (
        USDC.lower(),
        FAKE_USDC.lower(),
    )


def test_another_registered_token_than_the_approved_one_is_refused() -> None:
    tx = evm_tx(to=USDT, value=0, gas=60_000, data=erc20_transfer(DEST, 1_500_000))
    verdict = check(tx, evm_intent("USDC", 1_500_000))
    assert verdict.codes == ("wrong_token_contract",)


def test_transfer_from_a_foreign_holder_is_refused() -> None:
    from eth_abi import encode

    data = bytes.fromhex("23b872dd") + encode(
        ["address", "address", "uint256"], [DEST, DEST, 1_500_000]
    )
    tx = evm_tx(to=USDC, value=0, gas=60_000, data=data)
    assert "input_not_ours" in check(tx, evm_intent("USDC", 1_500_000)).codes


def test_an_approve_call_is_refused() -> None:
    data = bytes.fromhex("095ea7b3") + erc20_transfer(DEST, 2**256 - 1)[4:]
    verdict = check(evm_tx(to=USDC, value=0, gas=60_000, data=data), evm_intent("USDC", 1))
    assert verdict.codes == ("calldata_not_allowed",)


def test_a_transaction_for_another_chain_is_refused() -> None:
    assert check(evm_tx(chainId=5)).codes == ("wrong_chain",)


def test_a_transaction_signed_by_another_key_is_refused() -> None:
    other = Account.create("presign test")
    raw = Account.sign_transaction(
        {
            "nonce": 0,
            "gas": 21_000,
            "to": DEST,
            "value": 3 * 10**18,
            "data": b"",
            "chainId": 1,
            "gasPrice": 10**9,
        },
        other.key,
    ).raw_transaction
    verdict = check(EvmTransaction(bytes(raw)))
    assert verdict.codes == ("input_not_ours",) and verdict.reasons[0].got == other.address.lower()
    assert HOT.lower() != other.address.lower()


def test_a_gas_price_above_the_policy_is_refused() -> None:
    verdict = check(evm_tx(maxFeePerGas=300 * 10**9))
    assert verdict.codes == ("fee_too_high",)


def test_a_gas_limit_making_the_worst_case_fee_too_high_is_refused() -> None:
    verdict = check(evm_tx(gas=1_000_000))
    assert verdict.codes == ("fee_too_high",) and verdict.fee == 1_000_000 * 30 * 10**9


def test_a_valid_transaction_replayed_is_refused() -> None:
    first = check(evm_tx())
    assert first.decision is Decision.SIGN
    assert check(evm_tx(), signed={first.tx_hash}).codes == ("replay",)


def test_an_intent_already_signed_is_refused_as_a_replay() -> None:
    verdict = check(evm_tx(nonce=8), evm_intent(state=IntentState.SIGNED))
    assert verdict.codes == ("replay",)


def test_an_expired_intent_is_refused() -> None:
    verdict = check(evm_tx(), evm_intent(expires_at=NOW - timedelta(seconds=1)))
    assert verdict.codes == ("intent_expired",)


def test_a_halted_asset_is_refused() -> None:
    assert check(evm_tx(), halted={"ETH"}).codes == ("asset_halted",)


def test_a_contract_creation_is_refused() -> None:
    verdict = check(evm_tx(to=b"", data=b"\x60\x00", value=0, gas=60_000))
    assert verdict.codes[0] == "calldata_not_allowed"
