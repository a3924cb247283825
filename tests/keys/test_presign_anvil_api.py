"""The whole path on a real chain (ISM 29-1-4, 27-3): the custody check allows a withdrawal,
the co-signer asks mamori's HTTP API before its owners sign, and the Safe-like multisig on
anvil runs only what mamori answered *sign* to."""

from __future__ import annotations

import pytest
from django.test import Client

from mamori.accounts.services import tokens
from mamori.custody.models import Asset
from mamori.custody.services import monitor
from mamori.engines.presign import SafeTransaction
from mamori.keys.models import PresignAnswer, SigningPolicy, Wallet, WithdrawalIntent
from mamori.keys.presign import safe_fields
from mamori.testing.anvil import Anvil, make_addresses
from mamori.testing.safe_chain import Reverted, co_sign, deploy_safe, owner_accounts
from tests.conftest import give, make_user, withdrawal_thresholds

pytestmark = pytest.mark.django_db
ETH = 10**18
SINGLETON, DEST, ATTACKER = make_addresses(3, "presign-anvil-api")


@pytest.fixture
def chain(anvil_node: Anvil):
    """A 2-of-3 MiniSafe with 10 ETH registered as the wallet ``eth-safe``; ETH monitored."""
    monitor.reset()
    owners = owner_accounts(3)
    safe = deploy_safe(anvil_node, owners, 2, singleton=SINGLETON, funds=10 * ETH)
    operator = give(make_user("op-anvil"), "custody_operator")
    eth = Asset.objects.create(
        code="ETH", name="Ether", chain="anvil", decimals=18, unknown_address="allow"
    )
    withdrawal_thresholds(eth, [("single", "single", "hold", 5 * ETH, None)])
    wallet = Wallet.objects.create(
        name="eth-safe",
        chain="anvil",
        asset="ETH",
        scheme="multisig",
        m=2,
        n=3,
        hot=True,
        addresses=[safe.address],
        responsible=operator,
    )
    SigningPolicy.objects.create(wallet=wallet, chain_id=safe.chain_id, safe_address=safe.address)
    exchange = tokens.issue("exchange", ["custody:check"], 30, None)
    cosigner = tokens.issue("cosigner", ["keys:presign"], 30, None)
    yield {
        "safe": safe,
        "owners": owners,
        "exchange": Client(HTTP_AUTHORIZATION=f"Bearer {exchange.secret}"),
        "cosigner": Client(HTTP_AUTHORIZATION=f"Bearer {cosigner.secret}"),
    }
    monitor.reset()


def withdraw(chain, request_id: str, amount: int) -> str:
    body = {
        "request_id": request_id,
        "customer": "c1",
        "asset": "ETH",
        "amount": str(amount),
        "address": DEST,
    }
    answered = chain["exchange"].post(
        "/api/custody/withdrawals/check", body, content_type="application/json"
    )
    return answered.json()["action"]


def mamori(chain):
    """The co-signer's question to mamori, over HTTP."""

    def ask(tx: SafeTransaction) -> dict:
        answered = chain["cosigner"].post(
            "/api/keys/presign",
            {"wallet": "eth-safe", "safe": safe_fields(tx)},
            content_type="application/json",
        )
        assert answered.status_code == 200, answered.content
        return answered.json()

    return ask


def test_the_safe_runs_the_approved_withdrawal_and_never_the_bybit_like_one(chain) -> None:
    safe, owners = chain["safe"], chain["owners"][:2]
    assert withdraw(chain, "w-anvil-1", 3 * ETH) == "allow"
    writer = safe.node.deploy("SlotZeroWriter")
    singleton = safe.slot0()
    # Bybit: one transfer shown, a delegatecall rewriting slot 0 sent to be signed
    bybit = safe.transaction(writer, 0, bytes.fromhex("a9059cbb") + bytes(64), 1)
    refused = co_sign(bybit, mamori(chain), owners)
    assert refused.answer["decision"] == "refuse" and not refused.signatures
    assert "delegatecall_target_not_allowed" in refused.codes
    with pytest.raises(Reverted):
        safe.execute(bybit, refused.signatures)
    assert safe.slot0() == singleton and safe.nonce() == 0
    # one wei more than approved: refused, nothing moves
    before = safe.balance(DEST)
    more = co_sign(safe.transaction(DEST, 3 * ETH + 1), mamori(chain), owners)
    assert more.codes == ("amount_mismatch",) and not more.signatures
    # exactly the approved withdrawal: signed, run, paid
    good = safe.transaction(DEST, 3 * ETH)
    signed = co_sign(good, mamori(chain), owners)
    assert signed.answer["decision"] == "sign" and signed.answer["intents"] == ["w-anvil-1"]
    safe.execute(good, signed.signatures)
    assert safe.balance(DEST) - before == 3 * ETH
    assert WithdrawalIntent.objects.get(event_id="w-anvil-1").state == "signed"
    # the same withdrawal paid again with the next nonce: a replay, refused
    again = co_sign(safe.transaction(DEST, 3 * ETH), mamori(chain), owners)
    assert again.codes == ("replay",) and not again.signatures
    assert list(PresignAnswer.objects.values_list("decision", flat=True).order_by("pk")) == [
        "refuse",
        "refuse",
        "sign",
        "refuse",
    ]
