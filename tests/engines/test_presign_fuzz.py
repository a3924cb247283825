"""The pre-sign decoders never crash (ISM 29-1-4): random bytes, truncated and mutated valid
encodings and nonsense Safe fields all give a refusal; unreadable ones
``malformed_transaction``."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.engines.presign import Decision, EvmTransaction, Psbt, SafeTransaction, verify
from tests.engines.presign_kit import BTC_POLICY, EVM_POLICY, NOW, btc_intent, evm_intent, evm_tx
from tests.engines.presign_kit import good_psbt as make_psbt
from tests.engines.test_presign_safe import safe_tx

GOOD_PSBT = base64.b64decode(str(make_psbt().data))
GOOD_EVM = {kind: evm_tx(kind).raw for kind in (0, 1, 2)}
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def psbt_verdict(data: bytes | str):
    return verify(Psbt(data), (btc_intent(),), BTC_POLICY, (), (), NOW)


def evm_verdict(raw: bytes):
    return verify(EvmTransaction(raw), (evm_intent(),), EVM_POLICY, (), (), NOW)


def mutated(good: bytes):
    return st.tuples(st.integers(0, len(good) - 1), st.integers(1, 255), st.booleans()).map(
        lambda m: (
            good[: m[0]] + bytes([good[m[0]] ^ m[1]]) + good[m[0] + 1 :]
            if m[2]
            else good[: m[0]] + bytes([m[1]]) + good[m[0] :]
        )
    )


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_as_a_psbt_are_malformed(data: bytes) -> None:
    for attempt in (data, b"psbt\xff" + data):
        assert psbt_verdict(attempt).codes[0] == "malformed_transaction"


@FUZZ
@given(st.text(max_size=200))
def test_random_text_as_a_psbt_is_refused(text: str) -> None:
    assert psbt_verdict(text).codes[0] == "malformed_transaction"


@FUZZ
@given(mutated(GOOD_PSBT))
def test_a_mutated_psbt_is_refused_or_still_exactly_the_withdrawal(data: bytes) -> None:
    verdict = psbt_verdict(data)
    if verdict.decision is Decision.SIGN:  # a byte the signature does not cover (metadata)
        assert [(t.recipient, t.amount) for t in verdict.transfers] == [
            (btc_intent().destination, btc_intent().amount)
        ]


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_as_an_evm_transaction_are_refused(raw: bytes) -> None:
    assert evm_verdict(raw).decision is Decision.REFUSE


@FUZZ
@given(st.sampled_from([0, 1, 2]).flatmap(lambda kind: mutated(GOOD_EVM[kind])))
def test_a_mutated_evm_transaction_never_crashes(raw: bytes) -> None:
    verdict = evm_verdict(raw)
    if verdict.decision is Decision.SIGN:  # only nonce or tip changed: still the same payment
        assert verdict.transfers == evm_verdict(GOOD_EVM[2]).transfers


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_every_truncation_of_an_evm_transaction_is_malformed(kind: int) -> None:
    good = GOOD_EVM[kind]
    for end in range(len(good)):
        assert evm_verdict(good[:end]).codes == ("malformed_transaction",), end


def test_every_truncation_of_a_psbt_is_malformed() -> None:
    for end in range(len(GOOD_PSBT)):
        assert psbt_verdict(GOOD_PSBT[:end]).codes[0] == "malformed_transaction", end


anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**300), max_value=2**300),
    st.text(max_size=50),
    st.binary(max_size=80),
    st.just("0x" + "ab" * 20),
)


@FUZZ
@given(
    st.fixed_dictionaries(
        {},
        optional={
            name: anything
            for name in (
                "to",
                "value",
                "data",
                "operation",
                "safe_tx_gas",
                "base_gas",
                "gas_price",
                "gas_token",
                "refund_receiver",
                "nonce",
                "shown_hash",
            )
        },
    )
)
def test_nonsense_safe_fields_are_refused_never_raised(fields: dict) -> None:
    tx = replace(safe_tx(), **fields)
    verdict = verify(tx, (evm_intent(),), EVM_POLICY, (), (), NOW)
    assert verdict.decision is Decision.REFUSE or tx == safe_tx()  # unchanged: still signed


@FUZZ
@given(st.binary(max_size=300))
def test_random_multisend_calldata_is_refused(data: bytes) -> None:
    from tests.engines.presign_kit import MULTISEND

    tx = safe_tx(to=MULTISEND, value=0, operation=1, data=bytes.fromhex("8d80ff0a") + data)
    verdict = verify(tx, (evm_intent(),), EVM_POLICY, (), (), NOW)
    assert verdict.decision is Decision.REFUSE


def test_a_transaction_of_no_known_kind_is_malformed() -> None:
    verdict = verify("0xdeadbeef", (), EVM_POLICY, (), (), NOW)  # type: ignore[arg-type]
    assert verdict.codes == ("malformed_transaction",)


def test_safe_fields_of_the_wrong_types_are_malformed() -> None:
    tx = SafeTransaction(1, -1, "x", 2, 0, 0, 0, None, None, 0, b"")  # type: ignore[arg-type]
    verdict = verify(tx, (), EVM_POLICY, (), (), NOW)
    assert verdict.codes == ("malformed_transaction",)


@FUZZ
@given(st.sampled_from(["a9059cbb", "23b872dd"]), st.binary(max_size=140))
def test_random_erc20_calldata_is_refused(function: str, arguments: bytes) -> None:
    from tests.engines.presign_kit import USDC

    tx = safe_tx(to=USDC, value=0, data=bytes.fromhex(function) + arguments)
    verdict = verify(tx, (evm_intent("USDC", 1),), EVM_POLICY, (), (), NOW)
    assert verdict.decision is Decision.REFUSE
    if function == "a9059cbb" and len(arguments) == 64 and any(arguments[:12]):
        assert verdict.codes == ("malformed_transaction",)  # an address with dirty padding
