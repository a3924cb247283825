"""Pre-sign verification protects a Safe multisig, on a real chain (ISM 29-1-4).

A Safe-like multisig (``MiniSafe``: 3 owners, threshold 2, slot 0 its singleton) runs on
anvil. Before any owner signs, the signing service is asked (:func:`co_sign`, whose ``ask``
here is the engine's ``verify`` in process); the owners sign only when it answers *sign*, and
the chain then runs what they signed — or refuses what they did not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from mamori.engines.presign import (
    SafePolicy,
    SafeTransaction,
    WalletPolicy,
    WithdrawalIntent,
    safe_tx_hash,
)
from mamori.testing.anvil import Anvil, make_addresses
from mamori.testing.safe_chain import (
    Ask,
    Reverted,
    SafeChain,
    co_sign,
    deploy_safe,
    eip712_safe_tx_hash,
    engine_ask,
    erc20_transfer,
    multisend,
    owner_accounts,
    sign_safe_hash,
)

ETH = 10**18
SINGLETON, DEST, ATTACKER, STRANGER = make_addresses(4, "presign-anvil")


@dataclass
class Wallet:
    """The Safe on the chain and the wallet policy the signing service checks against."""

    safe: SafeChain
    policy: WalletPolicy
    signed_hashes: set[str]

    def ask(self, *intents: WithdrawalIntent) -> Ask:
        """The signing service, knowing these approved withdrawals."""
        return engine_ask(intents, self.policy, signed_hashes=self.signed_hashes)


@pytest.fixture
def safe_wallet(anvil_node: Anvil, request: pytest.FixtureRequest) -> Iterator[Wallet]:
    """A 2-of-3 MiniSafe holding 10 ETH (hashing as Safe 1.3.0 unless parametrized with
    "1.1.1", Bybit's version), and its wallet policy: no delegatecall allowed."""
    version = getattr(request, "param", "1.3.0")
    safe = deploy_safe(
        anvil_node, owner_accounts(3), 2, singleton=SINGLETON, funds=10 * ETH, version=version
    )
    policy = WalletPolicy(
        chain="anvil",
        native_asset="ETH",
        own_addresses=frozenset([safe.address]),
        chain_id=safe.chain_id,
        safe=SafePolicy(safe.address, safe.chain_id, version=safe.version),
    )
    yield Wallet(safe, policy, set())


def intent(
    amount: int, asset: str = "ETH", destination: str = DEST, token: str | None = None
) -> WithdrawalIntent:
    return WithdrawalIntent(
        id=f"w-{asset.lower()}-1",
        asset=asset,
        chain="anvil",
        destination=destination,
        amount=amount,
        expires_at=datetime.now(UTC) + timedelta(hours=1),
        token_contract=token,
        approvals=("alice", "bob"),
    )


def eip712_hash(safe: SafeChain, tx: SafeTransaction) -> bytes:
    """The SafeTx hash as eth-account encodes Safe's EIP-712 type."""
    return eip712_safe_tx_hash(safe.address, None if safe.version == "1.1.1" else safe.chain_id, tx)


BOTH_DOMAINS = pytest.mark.parametrize("safe_wallet", ["1.3.0", "1.1.1"], indirect=True)


@BOTH_DOMAINS
def test_the_contracts_safe_tx_hash_is_the_engines_and_eth_accounts(safe_wallet: Wallet) -> None:
    safe = safe_wallet.safe
    writer = safe.node.deploy("SlotZeroWriter")
    transactions = [
        safe.transaction(DEST, 3 * ETH),
        safe.transaction(STRANGER, 0, erc20_transfer(DEST, 10**6)),
        safe.transaction(writer, 0, erc20_transfer(ATTACKER, 0), 1),
        safe.transaction(DEST, 1, bytes(range(256)) * 3, nonce=2**256 - 1),
        safe.transaction(
            DEST,
            0,
            b"\x01",
            safe_tx_gas=45_746,
            base_gas=21_000,
            gas_price=7,
            gas_token=STRANGER,
            refund_receiver=ATTACKER,
            nonce=71,
        ),
    ]
    policy = safe_wallet.policy.safe
    assert policy is not None
    for tx in transactions:
        assert tx.shown_hash == safe.onchain_hash(tx)  # what a wallet shows: the contract's
        assert safe_tx_hash(policy, tx) == tx.shown_hash
        assert eip712_hash(safe, tx) == tx.shown_hash
    assert len({tx.shown_hash for tx in transactions}) == len(transactions)
    # the hash is the contract's: the other version's domain is another hash
    other = replace(policy, version="1.1.1" if safe.version == "1.3.0" else "1.3.0")
    assert safe_tx_hash(other, transactions[0]) != transactions[0].shown_hash
    if safe.version == "1.3.0":  # and its domain holds this chain's id
        elsewhere = replace(policy, chain_id=1)
        assert safe_tx_hash(elsewhere, transactions[0]) != transactions[0].shown_hash


@pytest.mark.parametrize("safe_wallet", ["1.1.1"], indirect=True)
def test_a_safe_registered_with_the_wrong_version_refuses_every_transaction(
    safe_wallet: Wallet,
) -> None:
    # a 1.1.1 Safe registered as 1.3.0: no hash its owners would sign is the one verified
    safe = safe_wallet.safe
    policy = replace(safe_wallet.policy, safe=SafePolicy(safe.address, safe.chain_id))
    tx = safe.transaction(DEST, ETH)
    cosigned = co_sign(tx, engine_ask([intent(ETH)], policy), safe.owners[:2])
    assert cosigned.codes == ("safe_hash_mismatch",)
    assert not cosigned.signed
    assert co_sign(tx, safe_wallet.ask(intent(ETH)), safe.owners[:2]).signed


def test_an_approved_native_transfer_is_signed_and_executed(safe_wallet: Wallet) -> None:
    safe = safe_wallet.safe
    before, safe_before = safe.balance(DEST), safe.balance(safe.address)
    tx = safe.transaction(DEST, 3 * ETH // 2)
    cosigned = co_sign(tx, safe_wallet.ask(intent(3 * ETH // 2)), safe.owners[:2])
    assert cosigned.answer["decision"] == "sign", cosigned.answer
    assert cosigned.answer["tx_hash"] == "0x" + safe.onchain_hash(tx).hex()
    assert cosigned.answer["intents"] == ["w-eth-1"]
    assert cosigned.signed and len(cosigned.signatures) == 2 * 65
    safe.execute(tx, cosigned.signatures)
    assert safe.balance(DEST) == before + 3 * ETH // 2
    assert safe.balance(safe.address) == safe_before - 3 * ETH // 2
    assert safe.nonce() == 1


def test_the_owners_sign_no_other_hash_than_the_one_the_service_verified(
    safe_wallet: Wallet,
) -> None:
    safe = safe_wallet.safe
    tx = safe.transaction(DEST, ETH)
    other = safe.transaction(DEST, 2 * ETH)
    verdict = safe_wallet.ask(intent(2 * ETH))(other)
    assert verdict["decision"] == "sign"
    cosigned = co_sign(tx, lambda _tx: verdict, safe.owners[:2])  # an answer about another tx
    assert not cosigned.signed
    with pytest.raises(Reverted):
        safe.execute(tx, cosigned.signatures)
    assert safe.balance(DEST) == 0


def bybit(safe: SafeChain) -> SafeTransaction:
    """Bybit, 21 Feb 2025: a delegatecall to the attacker's contract, whose calldata reads as
    ``transfer(attacker, 0)`` but whose code stores the attacker's address in slot 0."""
    writer = safe.node.deploy("SlotZeroWriter")
    return safe.transaction(writer, 0, erc20_transfer(ATTACKER, 0), operation=1)


@BOTH_DOMAINS
def test_a_bybit_like_delegatecall_is_refused_so_the_singleton_stays(
    safe_wallet: Wallet,
) -> None:
    safe = safe_wallet.safe
    tx = bybit(safe)
    cosigned = co_sign(tx, safe_wallet.ask(intent(3 * ETH // 2)), safe.owners[:2])
    assert cosigned.answer["decision"] == "refuse"
    assert cosigned.codes == ("delegatecall_target_not_allowed",)
    assert "slot 0" in cosigned.answer["reasons"][0]["message"]
    assert not cosigned.signed and cosigned.signatures == b""
    # one owner's key stolen is not enough: the other owners did not sign
    stolen = sign_safe_hash(tx.shown_hash, safe.owners[:1])
    for signatures in (cosigned.signatures, stolen):
        with pytest.raises(Reverted, match="too few signatures") as refused:
            safe.execute(tx, signatures)
        assert refused.value.receipt is not None and refused.value.receipt["status"] == "0x0"
    assert safe.slot0() == SINGLETON
    assert safe.nonce() == 0
    # the control: had the owners signed it anyway, the chain would have run it
    safe.execute(tx, sign_safe_hash(tx.shown_hash, safe.owners[1:]))
    assert safe.slot0() == ATTACKER


@BOTH_DOMAINS
def test_a_transfer_shown_over_the_bybit_hash_is_refused(safe_wallet: Wallet) -> None:
    # the signers' screen shows an approved transfer, their device signs the attacker's hash
    safe = safe_wallet.safe
    attack = bybit(safe)
    shown = replace(safe.transaction(DEST, 3 * ETH // 2), shown_hash=attack.shown_hash)
    cosigned = co_sign(shown, safe_wallet.ask(intent(3 * ETH // 2)), safe.owners[:2])
    assert cosigned.codes == ("safe_hash_mismatch",)
    assert cosigned.answer["reasons"][0]["got"] == "0x" + attack.shown_hash.hex()
    assert not cosigned.signed
    with pytest.raises(Reverted):
        safe.execute(attack, cosigned.signatures)
    assert safe.slot0() == SINGLETON


def test_an_amount_one_wei_more_is_refused_and_not_executed(safe_wallet: Wallet) -> None:
    safe = safe_wallet.safe
    tx = safe.transaction(DEST, 3 * ETH // 2 + 1)
    cosigned = co_sign(tx, safe_wallet.ask(intent(3 * ETH // 2)), safe.owners)
    assert cosigned.codes == ("amount_mismatch",)
    reason = cosigned.answer["reasons"][0]
    assert (reason["expected"], reason["got"]) == (str(3 * ETH // 2), str(3 * ETH // 2 + 1))
    assert not cosigned.signed
    with pytest.raises(Reverted, match="too few signatures"):
        safe.execute(tx, cosigned.signatures)
    assert safe.balance(DEST) == 0
    assert safe.balance(safe.address) == 10 * ETH


def test_a_token_transfer_from_the_wrong_contract_is_refused_the_right_one_executed(
    safe_wallet: Wallet,
) -> None:
    safe, node = safe_wallet.safe, safe_wallet.safe.node
    usdc, lookalike = node.deploy("TestToken"), node.deploy("TestToken")
    for token in (usdc, lookalike):
        node.mint(token, [safe.address], [5 * 10**6])
    policy = replace(safe_wallet.policy, token_contracts=(("USDC", usdc),))
    approved = intent(2 * 10**6, "USDC", DEST, usdc)
    ask = engine_ask([approved], policy, signed_hashes=safe_wallet.signed_hashes)

    wrong = safe.transaction(lookalike, 0, erc20_transfer(DEST, 2 * 10**6))
    cosigned = co_sign(wrong, ask, safe.owners[:2])
    assert cosigned.codes == ("wrong_token_contract",)
    assert cosigned.answer["reasons"][0]["got"] == lookalike.lower()
    assert not cosigned.signed
    with pytest.raises(Reverted):
        safe.execute(wrong, cosigned.signatures)
    assert safe.token_balance(lookalike, DEST) == 0

    right = safe.transaction(usdc, 0, erc20_transfer(DEST, 2 * 10**6))
    cosigned = co_sign(right, ask, safe.owners[:2])
    assert cosigned.answer["decision"] == "sign", cosigned.answer
    safe.execute(right, cosigned.signatures)
    assert safe.token_balance(usdc, DEST) == 2 * 10**6
    assert safe.token_balance(usdc, safe.address) == 3 * 10**6
    assert safe.token_balance(lookalike, safe.address) == 5 * 10**6


def test_the_same_safe_transaction_is_signed_once_then_refused_as_a_replay(
    safe_wallet: Wallet,
) -> None:
    safe = safe_wallet.safe
    ask = safe_wallet.ask(intent(ETH))
    tx = safe.transaction(DEST, ETH)
    first = co_sign(tx, ask, safe.owners[:2])
    assert first.answer["decision"] == "sign"
    assert safe_wallet.signed_hashes == {"0x" + tx.shown_hash.hex()}
    safe.execute(tx, first.signatures)

    again = co_sign(tx, ask, safe.owners[:2])
    assert again.codes == ("replay",)
    assert again.answer["reasons"][0]["got"] == "0x" + tx.shown_hash.hex()
    assert not again.signed
    # the chain itself refuses the old signatures too: its nonce has moved on
    with pytest.raises(Reverted, match=r"not an owner|not ascending"):
        safe.execute(tx, first.signatures)
    assert safe.balance(DEST) == ETH


@pytest.fixture
def batching(safe_wallet: Wallet) -> tuple[Wallet, str, str]:
    """The wallet with a MultiSend allowlisted for delegatecall, and a token it holds."""
    safe, node = safe_wallet.safe, safe_wallet.safe.node
    batcher, usdc = node.deploy("MiniMultiSend"), node.deploy("TestToken")
    node.mint(usdc, [safe.address], [5 * 10**6])
    policy = replace(
        safe_wallet.policy,
        token_contracts=(("USDC", usdc),),
        safe=SafePolicy(
            safe.address,
            safe.chain_id,
            delegatecall_allowlist=frozenset([batcher]),
            multisend=frozenset([batcher]),
        ),
    )
    return replace(safe_wallet, policy=policy), batcher, usdc


def test_a_multisend_of_two_approved_withdrawals_is_signed_and_executed(batching) -> None:
    wallet, batcher, usdc = batching
    safe = wallet.safe
    calls = ((0, DEST, ETH, b""), (0, usdc, 0, erc20_transfer(STRANGER, 2 * 10**6)))
    tx = safe.transaction(batcher, 0, multisend(*calls), operation=1)
    ask = wallet.ask(intent(ETH), replace(intent(2 * 10**6, "USDC", STRANGER, usdc), id="w-2"))
    cosigned = co_sign(tx, ask, safe.owners[1:])
    assert cosigned.answer["decision"] == "sign", cosigned.answer
    assert cosigned.answer["intents"] == ["w-eth-1", "w-2"]
    safe.execute(tx, cosigned.signatures)
    assert safe.balance(DEST) == ETH
    assert safe.token_balance(usdc, STRANGER) == 2 * 10**6
    assert safe.slot0() == SINGLETON


def test_a_multisend_hiding_the_bybit_delegatecall_is_refused(batching) -> None:
    wallet, batcher, _ = batching
    safe = wallet.safe
    writer = safe.node.deploy("SlotZeroWriter")
    calls = ((0, DEST, ETH, b""), (1, writer, 0, erc20_transfer(ATTACKER, 0)))
    tx = safe.transaction(batcher, 0, multisend(*calls), operation=1)
    cosigned = co_sign(tx, wallet.ask(intent(ETH)), safe.owners[:2])
    assert cosigned.codes == ("delegatecall_target_not_allowed",)
    assert cosigned.answer["reasons"][0]["got"] == writer.lower()
    assert not cosigned.signed
    with pytest.raises(Reverted):
        safe.execute(tx, cosigned.signatures)
    assert (safe.slot0(), safe.balance(DEST)) == (SINGLETON, 0)
    # the control: signed anyway, the batch pays the approved withdrawal AND replaces slot 0
    safe.execute(tx, sign_safe_hash(tx.shown_hash, safe.owners[:2]))
    assert (safe.slot0(), safe.balance(DEST)) == (ATTACKER, ETH)
