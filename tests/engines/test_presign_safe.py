"""Pre-sign verification of Safe transactions (ISM 29-1-4): the SafeTx hash recomputed,
delegatecall only to allowlisted targets, no change of owners, threshold, modules or
singleton, MultiSend decoded call by call."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mamori.engines.presign import (
    OWNER_CHANGES,
    Decision,
    SafePolicy,
    SafeTransaction,
    safe_tx_hash,
    verify,
)
from mamori.testing.safe_chain import eip712_safe_tx_hash as eip712_hash
from mamori.testing.safe_chain import multisend
from tests.engines.presign_kit import (
    DEST,
    EVIL,
    EVM_POLICY,
    MULTISEND,
    NOW,
    SAFE,
    SIGN_MESSAGE_LIB,
    USDC,
    erc20_transfer,
    evm_intent,
)

ZERO = "0x" + "00" * 20


def safe_tx(
    to: str = DEST,
    value: int = 3 * 10**18,
    data: bytes = b"",
    operation: int = 0,
    nonce: int = 42,
    **fields,
) -> SafeTransaction:
    """A Safe transaction whose shown hash is computed independently with eth-account."""
    tx = SafeTransaction(to, value, data, operation, 0, 0, 0, ZERO, ZERO, nonce, bytes(32))
    tx = replace(tx, **fields)
    return replace(tx, shown_hash=eip712_hash(SAFE, 1, tx))


def check(tx, *intents, signed=()):
    return verify(tx, intents or (evm_intent(),), EVM_POLICY, (), signed, NOW)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"data": erc20_transfer(DEST, 10**6), "to": USDC, "value": 0, "nonce": 0},
        {"operation": 1, "to": MULTISEND, "value": 0, "data": multisend((0, DEST, 1, b""))},
        {
            "safe_tx_gas": 90_000,
            "base_gas": 21_000,
            "gas_price": 7,
            "gas_token": USDC,
            "refund_receiver": DEST,
            "nonce": 2**256 - 1,
        },
    ],
)
def test_the_safe_tx_hash_equals_eth_accounts_eip712_hash(fields) -> None:
    tx = safe_tx(**fields)
    for chain_id, safe in ((1, SAFE), (8453, DEST), (11155111, USDC)):
        policy = SafePolicy(safe, chain_id)
        assert safe_tx_hash(policy, tx) == eip712_hash(safe, chain_id, tx)


def test_the_safe_tx_hash_matches_a_published_base_transaction() -> None:
    # morpho-org/safe-tx-hash test.py: a USDC-like transfer from Safe 0xcBa2…9AFa on Base
    tx = SafeTransaction(
        to="0xBAa5CC21fd487B8Fcc2F632f3F4E8D37262a0842",
        value=0,
        data=bytes.fromhex(
            "a9059cbb000000000000000000000000f057afeec22e220f47ad4220871364e9e828b2e9"
            "00000000000000000000000000000000000000000001a784379d99db42000000"
        ),
        operation=0,
        safe_tx_gas=0,
        base_gas=0,
        gas_price=0,
        gas_token=ZERO,
        refund_receiver=ZERO,
        nonce=11,
        shown_hash=bytes(32),
    )
    safe = SafePolicy("0xcBa28b38103307Ec8dA98377ffF9816C164f9AFa", 8453)
    expected = "1bf99e3cf2d2272960c8a02ca4163459ad240de7995bec237a886b84968a077c"
    assert safe_tx_hash(safe, tx).hex() == expected


@pytest.mark.parametrize("version", ["1.0.0", "1.1.1", "1.2.0"])
def test_a_safe_older_than_1_3_hashes_without_the_chain_id(version: str) -> None:
    tx = safe_tx(data=b"\x01\x02", nonce=71)
    assert safe_tx_hash(SafePolicy(SAFE, 1, version=version), tx) == eip712_hash(SAFE, None, tx)
    assert safe_tx_hash(SafePolicy(SAFE, 1, version="1.3.0+L2"), tx) == eip712_hash(SAFE, 1, tx)


def test_a_safe_older_than_1_0_is_refused_as_unreadable() -> None:
    policy = replace(EVM_POLICY, safe=SafePolicy(SAFE, 1, version="0.1.0"))
    verdict = verify(safe_tx(), (evm_intent(),), policy, (), (), NOW)
    assert verdict.codes == ("malformed_transaction",)


# pcaversaccio/safe-tx-hashes-util README: two transactions of Safe 0x111C…2177 (1.3.0+L2) on
# Arbitrum, nonce 234, with the Safe transaction hashes its script prints
ARBITRUM_SAFE = SafePolicy("0x111CEEee040739fD91D29C34C33E6B3E112F2177", 42161)
ADD_OWNER = bytes.fromhex(
    "0d582f130000000000000000000000000c75fa5a5f1c0997e3eea425cfa13184ed0ec9e5"
    "0000000000000000000000000000000000000000000000000000000000000003"
)


def published(value: int, operation: int, gas_price: int, gas_token: str, receiver: str):
    return SafeTransaction(
        ARBITRUM_SAFE.address,
        value,
        ADD_OWNER,
        operation,
        0,
        0,
        gas_price,
        gas_token,
        receiver,
        234,
        bytes(32),
    )


def test_the_safe_tx_hash_matches_published_arbitrum_transactions() -> None:
    add_owner = published(0, 0, 0, ZERO, ZERO)
    assert safe_tx_hash(ARBITRUM_SAFE, add_owner).hex() == (
        "0cb7250b8becd7069223c54e2839feaed4cee156363fbfe5dd0a48e75c4e25b3"
    )
    weth, vitalik = (
        "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
        "0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045",
    )
    refunded = published(1000, 1, 50, weth, vitalik)
    assert safe_tx_hash(ARBITRUM_SAFE, refunded).hex() == (
        "c818fceb1cace51c1a4039c4c66fc73d95eccc298104c9c52debac604b9f4e04"
    )


def test_the_published_add_owner_transaction_is_refused_even_with_its_true_hash() -> None:
    tx = published(0, 0, 0, ZERO, ZERO)
    tx = replace(tx, shown_hash=safe_tx_hash(ARBITRUM_SAFE, tx))
    policy = replace(EVM_POLICY, chain="arbitrum", chain_id=42161, safe=ARBITRUM_SAFE)
    verdict = verify(tx, (), policy, (), (), NOW)
    assert verdict.codes == ("safe_owner_change",)
    assert verdict.reasons[0].got == "addOwnerWithThreshold(address,uint256)"


def test_a_safe_on_another_chain_than_the_wallet_is_refused() -> None:
    policy = replace(EVM_POLICY, chain_id=10)
    assert "wrong_chain" in verify(safe_tx(), (evm_intent(),), policy, (), (), NOW).codes


def test_a_bybit_like_transaction_on_a_1_1_1_safe_is_refused() -> None:
    policy = replace(EVM_POLICY, safe=SafePolicy(SAFE, 1, version="1.1.1"))
    attacker_contract = "0x96221423681A6d52E184D440a8eFCEbB105C7242"
    tx = safe_tx(to=attacker_contract, value=0, operation=1, data=erc20_transfer(EVIL, 0))
    tx = replace(tx, nonce=71, safe_tx_gas=45_746)
    tx = replace(tx, shown_hash=eip712_hash(SAFE, None, tx))
    verdict = verify(tx, (evm_intent(),), policy, (), (), NOW)
    assert verdict.codes == ("delegatecall_target_not_allowed",)


def test_a_safe_transfer_matching_its_intent_is_signed() -> None:
    verdict = check(safe_tx())
    assert verdict.decision is Decision.SIGN, verdict.reasons
    assert verdict.tx_hash == "0x" + safe_tx().shown_hash.hex()


@pytest.mark.parametrize(
    "calldata",
    [
        erc20_transfer(EVIL, 0),
        bytes.fromhex("7de7edef") + bytes(12) + bytes.fromhex(EVIL[2:]),
    ],
    ids=["transfer(attacker,0)", "changeMasterCopy(attacker)"],
)
def test_a_bybit_like_delegatecall_rewriting_the_singleton_is_refused(calldata: bytes) -> None:
    # Bybit, 21 Feb 2025: operation 1 to an unknown contract with calldata that reads as
    # transfer(attacker, 0) but whose code stores the attacker's address in slot 0
    attacker_contract = "0x96221423681A6d52E184D440a8eFCEbB105C7242"
    tx = safe_tx(to=attacker_contract, value=0, operation=1, data=calldata)
    verdict = check(tx)
    assert verdict.decision is Decision.REFUSE
    assert verdict.codes == ("delegatecall_target_not_allowed",)
    assert verdict.reasons[0].got == attacker_contract.lower()
    assert "slot 0" in verdict.reasons[0].message


def test_fields_other_than_those_whose_hash_the_signers_see_are_refused() -> None:
    shown = safe_tx()  # the transfer the signers were shown
    actual = replace(
        safe_tx(
            to="0x96221423681A6d52E184D440a8eFCEbB105C7242",
            value=0,
            operation=1,
            data=erc20_transfer(EVIL, 0),
        ),
        shown_hash=shown.shown_hash,
    )
    verdict = check(actual)
    assert verdict.codes == ("safe_hash_mismatch", "delegatecall_target_not_allowed")


def test_the_same_call_made_as_a_delegatecall_is_refused() -> None:
    assert check(safe_tx(operation=1)).codes[0] == "delegatecall_target_not_allowed"


@pytest.mark.parametrize("signature", sorted(OWNER_CHANGES.values()))
def test_a_call_that_changes_the_safes_owners_or_modules_is_refused(signature: str) -> None:
    data = bytes.fromhex(next(s.hex() for s, sig in OWNER_CHANGES.items() if sig == signature))
    verdict = check(safe_tx(to=SAFE, value=0, data=data + bytes(64)))
    assert verdict.codes[0] == "safe_owner_change" and verdict.reasons[0].got == signature


def test_a_multisend_paying_two_approved_withdrawals_is_signed() -> None:
    calls = ((0, DEST, 3 * 10**18, b""), (0, USDC, 0, erc20_transfer(EVIL, 5)))
    tx = safe_tx(to=MULTISEND, value=0, operation=1, data=multisend(*calls))
    intents = (evm_intent(), evm_intent("USDC", 5, EVIL, id="w-usdc-1"))
    verdict = check(tx, *intents)
    assert verdict.decision is Decision.SIGN, verdict.reasons
    assert verdict.intents == ("w-eth-1", "w-usdc-1")


def test_a_multisend_hiding_an_owner_swap_is_refused() -> None:
    swap = bytes.fromhex("e318b52b") + bytes(96)
    calls = ((0, DEST, 3 * 10**18, b""), (0, SAFE, 0, swap))
    tx = safe_tx(to=MULTISEND, value=0, operation=1, data=multisend(*calls))
    assert check(tx).codes == ("safe_owner_change",)


def test_a_multisend_hiding_a_delegatecall_is_refused() -> None:
    calls = ((0, DEST, 3 * 10**18, b""), (1, EVIL, 0, b"\x01"))
    tx = safe_tx(to=MULTISEND, value=0, operation=1, data=multisend(*calls))
    assert check(tx).codes == ("delegatecall_target_not_allowed",)


def test_multisend_is_refused_when_not_configured() -> None:
    policy = replace(EVM_POLICY, safe=SafePolicy(SAFE, 1))
    tx = safe_tx(to=MULTISEND, value=0, operation=1, data=multisend((0, DEST, 3 * 10**18, b"")))
    verdict = verify(tx, (evm_intent(),), policy, (), (), NOW)
    assert verdict.codes == ("delegatecall_target_not_allowed",)


def test_an_allowlisted_delegatecall_moves_nothing_and_is_no_withdrawal() -> None:
    tx = safe_tx(to=SIGN_MESSAGE_LIB, value=0, operation=1, data=b"\x85\xa5\xaf\xfe" + bytes(64))
    assert check(tx).codes == ("no_transfer",)


def test_a_gas_refund_paid_by_the_safe_is_refused() -> None:
    tx = safe_tx(gas_price=10**9, base_gas=50_000, refund_receiver=EVIL)
    assert check(tx).codes == ("safe_refund_not_allowed",)


def test_a_safe_transaction_replayed_is_refused() -> None:
    first = check(safe_tx())
    assert check(safe_tx(), signed={first.tx_hash}).codes == ("replay",)


def test_an_amount_one_wei_less_in_a_safe_transfer_is_refused() -> None:
    assert check(safe_tx(value=3 * 10**18 - 1)).codes == ("amount_mismatch",)
