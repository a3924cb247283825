"""The pre-sign check as a co-signer calls it (ISM 29-1-4): withdrawals the custody check
allowed become intents, a transaction paying one exactly is answered *sign* once, every
other is refused with its reason, each answer is an audit-log entry with the hash."""

from __future__ import annotations

import json
import os
import uuid

import pytest
from django.test import Client

from mamori.accounts.services import approvals, tokens
from mamori.auditlog.models import Entry
from mamori.custody.models import Asset, Halt, HeldWithdrawal
from mamori.custody.services import monitor
from mamori.engines.presign import SafePolicy, SafeTransaction, safe_tx_hash
from mamori.keys.models import PresignAnswer, SigningPolicy, Wallet, WithdrawalIntent
from mamori.testing.pytest_plugin import need_service
from tests.conftest import client_for, give, make_user, withdrawal_thresholds
from tests.engines.presign_kit import DEST, EVIL, HOT, MULTISEND, SAFE, evm_tx

pytestmark = pytest.mark.django_db
NATS_URL = os.environ.get("MAMORI_TEST_NATS_URL", "nats://127.0.0.1:4222")
ETH = 10**18
ZERO = "0x" + "00" * 20
ATTACKER_CONTRACT = "0x96221423681A6d52E184D440a8eFCEbB105C7242"


@pytest.fixture
def desk(db):
    """ETH with thresholds (hold from 100 ETH), the Safe hot wallet and two co-signers."""
    monitor.reset()
    operator = give(make_user("op-presign"), "custody_operator")
    eth = Asset.objects.create(
        code="ETH", name="Ether", chain="ethereum", decimals=18, unknown_address="allow"
    )
    withdrawal_thresholds(eth, [("single", "single", "hold", 100 * ETH, None)])
    wallet = Wallet.objects.create(
        name="eth-safe",
        chain="ethereum",
        asset="ETH",
        scheme="multisig",
        m=2,
        n=3,
        hot=True,
        addresses=[HOT],
        responsible=operator,
    )
    SigningPolicy.objects.create(
        wallet=wallet,
        chain_id=1,
        safe_address=SAFE,
        delegatecall_allowlist=[MULTISEND],
        multisend=[MULTISEND],
        max_fee=10**16,
        max_fee_rate=200 * 10**9,
    )
    exchange = tokens.issue("exchange", ["custody:check"], 30, None)
    a = tokens.issue("cosigner-a", ["keys:presign"], 30, None)
    b = tokens.issue("cosigner-b", ["keys:presign"], 30, None)
    yield {
        "exchange": Client(HTTP_AUTHORIZATION=f"Bearer {exchange.secret}"),
        "a": Client(HTTP_AUTHORIZATION=f"Bearer {a.secret}"),
        "b": Client(HTTP_AUTHORIZATION=f"Bearer {b.secret}"),
        "a_secret": a.secret,
        "operator": operator,
    }
    monitor.reset()


def withdraw(desk, request_id: str, amount: int, to: str = DEST) -> dict:
    body = {
        "request_id": request_id,
        "customer": "c1",
        "asset": "ETH",
        "amount": str(amount),
        "address": to,
    }
    answered = desk["exchange"].post(
        "/api/custody/withdrawals/check", body, content_type="application/json"
    )
    assert answered.status_code == 200, answered.content
    return answered.json()


def ask(client: Client, **body) -> dict:
    answered = client.post("/api/keys/presign", body, content_type="application/json")
    assert answered.status_code == 200, answered.content
    return answered.json()


def evm(value: int, to: str = DEST, nonce: int = 7) -> str:
    return "0x" + evm_tx(to=to, value=value, nonce=nonce).raw.hex()


def safe(to: str = DEST, value: int = 3 * ETH, data: bytes = b"", operation: int = 0) -> dict:
    tx = SafeTransaction(to, value, data, operation, 0, 0, 0, ZERO, ZERO, 5, bytes(32))
    shown = safe_tx_hash(SafePolicy(SAFE, 1), tx)
    fields = {
        "to": to,
        "value": str(value),
        "data": "0x" + data.hex(),
        "operation": operation,
        "safe_tx_gas": 0,
        "base_gas": 0,
        "gas_price": 0,
        "gas_token": ZERO,
        "refund_receiver": ZERO,
        "nonce": 5,
        "safe_tx_hash": "0x" + shown.hex(),
    }
    return fields


def codes(answer: dict) -> list[str]:
    return [reason["code"] for reason in answer["reasons"]]


def test_an_allowed_withdrawal_is_signed_once_and_each_answer_is_in_the_audit_log(desk) -> None:
    assert withdraw(desk, "w1", 3 * ETH)["action"] == "allow"
    tx = evm(3 * ETH)
    signed = ask(desk["a"], wallet="eth-safe", evm=tx)
    assert signed["decision"] == "sign" and signed["intents"] == ["w1"], signed
    intent = WithdrawalIntent.objects.get(event_id="w1")
    assert intent.state == "signed" and intent.signed_hash == signed["tx_hash"]
    entry = Entry.objects.get(position=signed["audit_entry"])
    assert entry.action == "keys.presign.sign" and "token:cosigner-a" in entry.body
    assert signed["tx_hash"] in entry.body
    # the second co-signer of the same transaction (2-of-3) is answered sign too
    assert ask(desk["b"], wallet="eth-safe", evm=tx)["decision"] == "sign"
    # the same co-signer again: a replay
    again = ask(desk["a"], wallet="eth-safe", evm=tx)
    assert again["decision"] == "refuse" and codes(again) == ["replay"]
    # another transaction paying the same withdrawal (a new nonce): a replay of the intent
    other = ask(desk["b"], wallet="eth-safe", evm=evm(3 * ETH, nonce=8))
    assert codes(other) == ["replay"] and other["reasons"][0]["got"] == "w1"
    refused = Entry.objects.filter(action="keys.presign.refuse")
    assert refused.count() == 2
    listed = desk["a"].get("/api/keys/presign/answers")
    assert listed.status_code == 403  # the co-signer's token reads nothing


def test_an_altered_transfer_is_refused_with_what_was_approved(desk) -> None:
    withdraw(desk, "w2", 3 * ETH)
    one_more = ask(desk["a"], wallet="eth-safe", evm=evm(3 * ETH + 1))
    assert codes(one_more) == ["amount_mismatch"]
    assert one_more["reasons"][0]["expected"] == str(3 * ETH)
    assert one_more["reasons"][0]["got"] == str(3 * ETH + 1)
    dmm = ask(desk["a"], wallet="eth-safe", evm=evm(3 * ETH, to=EVIL))
    assert codes(dmm) == ["destination_not_allowlisted"]
    assert (
        dmm["reasons"][0]["expected"] == DEST.lower() and dmm["reasons"][0]["got"] == EVIL.lower()
    )
    assert WithdrawalIntent.objects.get(event_id="w2").state == "approved"  # still payable
    assert ask(desk["a"], wallet="eth-safe", evm=evm(3 * ETH))["decision"] == "sign"


def test_a_bybit_like_safe_transaction_is_refused_and_the_true_one_signed(desk) -> None:
    withdraw(desk, "w3", 3 * ETH)
    bybit = safe(to=ATTACKER_CONTRACT, value=0, operation=1, data=bytes.fromhex("a9059cbb"))
    refused = ask(desk["a"], wallet="eth-safe", safe=bybit)
    assert refused["decision"] == "refuse"
    assert "delegatecall_target_not_allowed" in codes(refused)
    shown_other = {**safe(), "safe_tx_hash": bybit["safe_tx_hash"]}  # shown one, signing another
    assert "safe_hash_mismatch" in codes(ask(desk["a"], wallet="eth-safe", safe=shown_other))
    good = ask(desk["a"], wallet="eth-safe", safe=safe())
    assert good["decision"] == "sign" and good["tx_hash"] == safe()["safe_tx_hash"]


def test_a_held_withdrawal_is_signable_only_once_its_release_is_approved(desk) -> None:
    assert withdraw(desk, "w4", 150 * ETH)["action"] == "hold"
    tx = evm(150 * ETH)
    early = ask(desk["a"], wallet="eth-safe", evm=tx)
    assert early["decision"] == "refuse" and codes(early) == ["destination_not_allowlisted"]
    assert WithdrawalIntent.objects.get(event_id="w4").state == "held"
    request = HeldWithdrawal.objects.get(event_id="w4").approval
    for n in range(2):
        approver = give(make_user(f"approver-{n}"), "custody_operator")
        approvals.decide(request.pk, approver, "approve", "checked with the customer")
    request.refresh_from_db()
    assert request.status == "approved"
    assert ask(desk["b"], wallet="eth-safe", evm=tx)["decision"] == "sign"


def test_a_halt_on_the_asset_or_the_customer_refuses_the_signature(desk) -> None:
    withdraw(desk, "w5", 2 * ETH)
    halt = Halt.objects.create(
        halt_id="h-eth", scope="asset", key="ETH", rule="manual", event_id="x", started_at=_now()
    )
    answered = ask(desk["a"], wallet="eth-safe", evm=evm(2 * ETH))
    assert codes(answered) == ["asset_halted"]
    halt.scope, halt.key = "customer", "c1"
    halt.save()
    assert codes(ask(desk["a"], wallet="eth-safe", evm=evm(2 * ETH))) == ["customer_halted"]


def test_unreadable_requests_are_answered_and_recorded_or_refused_with_why(desk) -> None:
    unknown = ask(desk["a"], wallet="nowhere", evm=evm(1))
    assert codes(unknown) == ["wallet_not_registered"]
    garbage = ask(desk["a"], wallet="eth-safe", evm="0xzz")
    assert codes(garbage) == ["malformed_transaction"] and "hex" in garbage["reasons"][0]["message"]
    no_fields = ask(desk["a"], wallet="eth-safe", safe={"to": DEST})
    assert codes(no_fields) == ["malformed_transaction"]
    assert PresignAnswer.objects.filter(decision="refuse").count() == 3
    two = desk["a"].post(
        "/api/keys/presign",
        {"wallet": "eth-safe", "evm": evm(1), "psbt": "cHNidP8="},
        content_type="application/json",
    )
    assert two.status_code == 422 and two.json()["code"] == "bad_request"
    # a person's session never asks: only a co-signer's token with the scope
    ciso = give(make_user("ciso-presign"), "ciso")
    session = client_for(ciso).post(
        "/api/keys/presign", {"wallet": "eth-safe", "evm": evm(1)}, content_type="application/json"
    )
    assert session.status_code == 401
    reader = tokens.issue("reader", ["keys:read"], 30, None)
    scoped = Client(HTTP_AUTHORIZATION=f"Bearer {reader.secret}").post(
        "/api/keys/presign", {"wallet": "eth-safe", "evm": evm(1)}, content_type="application/json"
    )
    assert scoped.status_code == 403


def test_the_intents_and_answers_are_listed_for_readers(desk) -> None:
    withdraw(desk, "w6", 1 * ETH)
    ask(desk["a"], wallet="eth-safe", evm=evm(1 * ETH))
    reader = tokens.issue("reader", ["keys:read"], 30, None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {reader.secret}")
    intents = client.get("/api/keys/intents?state=signed").json()
    assert [i["id"] for i in intents["items"]] == ["w6"] and intents["items"][0]["amount"] == str(
        ETH
    )
    answers = client.get("/api/keys/presign/answers?decision=sign").json()
    assert answers["count"] == 1 and answers["items"][0]["intents"] == ["w6"]
    bad = client.get("/api/keys/intents?state=nonsense")
    assert bad.status_code == 422 and "state" in bad.json()["message"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_nats_request_is_answered_like_the_http_one(desk) -> None:
    import asyncio

    import nats

    from mamori.events.responders import Responders

    need_service("NATS", NATS_URL)
    withdraw(desk, "w7", 2 * ETH)
    prefix = f"t{uuid.uuid4().hex[:8]}"
    responders = Responders(NATS_URL, prefix).start()

    async def request(body: dict, token: str | None) -> dict:
        nc = await nats.connect(NATS_URL)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        reply = await nc.request(
            f"{prefix}.mamori.keys.presign.verify", json.dumps(body).encode(), 10, headers=headers
        )
        await nc.close()
        return json.loads(reply.data)

    try:
        body = {"wallet": "eth-safe", "evm": evm(2 * ETH)}
        assert asyncio.run(request(body, None))["error"]["code"] == "unauthorized"
        signed = asyncio.run(request(body, desk["a_secret"]))
        assert signed["decision"] == "sign" and signed["intents"] == ["w7"]
        assert PresignAnswer.objects.get(pk=signed["answer"]).channel == "nats"
        again = asyncio.run(request(body, desk["a_secret"]))
        assert codes(again) == ["replay"]
    finally:
        responders.stop()


def _now():
    from django.utils import timezone

    return timezone.now()


def test_a_cancelled_withdrawal_is_not_signable(desk) -> None:
    from mamori.engines import threshold as engine

    withdraw(desk, "w8", 1 * ETH)
    monitor.decide(engine.WithdrawalCancelled("w8-c", _now(), "w8"))
    answered = ask(desk["a"], wallet="eth-safe", evm=evm(1 * ETH))
    assert answered["decision"] == "refuse"
    assert WithdrawalIntent.objects.get(event_id="w8").state == "cancelled"


def test_the_page_shows_each_answer_with_what_was_expected_and_got(desk) -> None:
    withdraw(desk, "w9", 3 * ETH)
    ask(desk["a"], wallet="eth-safe", evm=evm(3 * ETH))
    refused = ask(desk["a"], wallet="eth-safe", evm=evm(3 * ETH + 1, nonce=9))
    viewer = client_for(give(make_user("auditor-presign"), "internal_auditor"))
    page = viewer.get("/keys/presign/").content.decode()
    assert "w9" in page and "amount_mismatch" in page and "cosigner-a" in page
    answer = viewer.get(f"/keys/presign/{refused['answer']}/").content.decode()
    assert str(3 * ETH) in answer and str(3 * ETH + 1) in answer
    assert f"#{refused['audit_entry']}" in answer
    downloaded = viewer.get("/keys/presign/?a-export=csv")
    assert downloaded.status_code == 200 and b"amount_mismatch" in downloaded.content
    outsider = client_for(make_user("nobody-presign"))
    assert outsider.get("/keys/presign/").status_code == 403


def test_a_withdrawal_reported_sent_is_not_paid_again(desk) -> None:
    from mamori.engines import threshold as engine

    withdraw(desk, "w10", 4 * ETH)
    monitor.decide(engine.WithdrawalSent("w10-s", _now(), "w10", "eth-hot"))
    answered = ask(desk["a"], wallet="eth-safe", evm=evm(4 * ETH))
    assert codes(answered) == ["replay"] and answered["reasons"][0]["got"] == "w10"
    assert WithdrawalIntent.objects.get(event_id="w10").state == "sent"


def test_a_wallet_s_signing_policy_is_set_on_its_page_and_bad_input_changes_nothing(desk) -> None:
    from mamori.keys.models import ResponseDocument

    wallet = Wallet.objects.get(name="eth-safe")
    manager = client_for(give(make_user("ciso-signing"), "ciso"))
    url = f"/keys/wallets/{wallet.pk}/signing/"
    assert manager.get(url).status_code == 200
    bad = manager.post(
        url,
        {
            "safe_address": "0x123",
            "safe_version": "1.3.0",
            "intent_hours": "1000",
            "delegatecall_lines": "not-an-address",
        },
    )
    assert bad.status_code == 200 and b"field-error" in bad.content
    assert SigningPolicy.objects.get(wallet=wallet).safe_address == SAFE  # unchanged
    good = manager.post(
        url,
        {
            "chain_id": "1",
            "safe_address": SAFE,
            "safe_version": "1.1.1",
            "intent_hours": "6",
            "delegatecall_lines": f"{MULTISEND}\n",
            "multisend_lines": MULTISEND,
        },
    )
    assert good.status_code == 302
    policy = SigningPolicy.objects.get(wallet=wallet)
    assert policy.safe_version == "1.1.1" and policy.intent_hours == 6
    assert policy.delegatecall_allowlist == [MULTISEND.lower()]
    flagged = ResponseDocument.objects.filter(kind="runbook").first()
    assert flagged is None or flagged.revision_required_since is not None
    viewer = client_for(give(make_user("auditor-signing"), "internal_auditor"))
    assert viewer.get(url).status_code == 403
