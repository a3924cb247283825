"""Pre-sign verification at the edge (ISM 29-1-4): a co-signer or signing service sends the
transaction it is about to sign; mamori answers *sign* or *refuse*, with every reason.

The request is read here (one of ``psbt``, ``evm`` or ``safe`` beside the ``wallet``), the
wallet's policy and the withdrawal intents it may pay are read from the database, and the
engine (:mod:`mamori.engines.presign`) decides. The answer, the intents it pays marked signed
and its audit-log entry (which carries the hash signed) are written in one transaction: a
crash loses no *sign* and repeats none, and two transactions paying one withdrawal cannot
both be answered *sign* — the intent's row is locked while it is matched.

Each co-signer is answered *sign* once per transaction: a second co-signer of the same
transaction (2-of-3) is answered *sign* too; the same co-signer asking again for it, or
anyone for another transaction paying a withdrawal already signed, is refused (``replay``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.core.errors import Refused
from mamori.custody.models import Asset, active_halts
from mamori.custody.models import Wallet as CustodyWallet
from mamori.engines import presign
from mamori.engines.presign.common import normalise, refused
from mamori.keys import intents
from mamori.keys.models import PresignAnswer, SigningPolicy, Wallet, WithdrawalIntent

__all__ = ["KINDS", "Asked", "answer", "read", "safe_fields", "wallet_policy"]

KINDS = ("psbt", "evm", "safe")
#: The largest transaction read (bytes of its text): a PSBT of a few hundred inputs fits.
LIMIT = 1_000_000
#: Intents older than this are not read for matching (a replay of an older one is refused
#: anyway: no approved intent pays it).
LOOKBACK_DAYS = 30

SAFE_FIELDS = (
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
    "safe_tx_hash",
)


@dataclass(frozen=True)
class Asked:
    """A request read: the wallet, the kind, the transaction (None when its fields cannot be
    read — a ``malformed_transaction`` refusal, answered and recorded like any other)."""

    wallet: str
    kind: str
    transaction: presign.Transaction | None
    unreadable: str
    sha256: str


def _bad(message: str) -> Refused:
    return Refused("bad_request", message)


def _hex(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be 0x-hex text")
    text = value[2:] if value[:2] in ("0x", "0X") else value
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"{name} is not hex") from None


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{name} must be an integer (or a string of digits)")
    text = str(value)
    if not text.isdigit() or len(text) > 78:
        raise ValueError(f"{name} must be a non-negative integer below 2^256, got {text[:40]!r}")
    return int(text)


def _safe(value: Any) -> presign.SafeTransaction:
    if not isinstance(value, dict):
        raise ValueError("safe must be an object with the Safe transaction's fields")
    missing = [f for f in SAFE_FIELDS if f not in value]
    if missing:
        raise ValueError(f"the Safe transaction lacks {', '.join(missing)}")
    for name in ("to", "gas_token", "refund_receiver"):
        if not isinstance(value[name], str):
            raise ValueError(f"{name} must be an address")
    return presign.SafeTransaction(
        to=value["to"],
        value=_int(value["value"], "value"),
        data=_hex(value["data"], "data"),
        operation=_int(value["operation"], "operation"),
        safe_tx_gas=_int(value["safe_tx_gas"], "safe_tx_gas"),
        base_gas=_int(value["base_gas"], "base_gas"),
        gas_price=_int(value["gas_price"], "gas_price"),
        gas_token=value["gas_token"],
        refund_receiver=value["refund_receiver"],
        nonce=_int(value["nonce"], "nonce"),
        shown_hash=_hex(value["safe_tx_hash"], "safe_tx_hash"),
    )


def safe_fields(tx: presign.SafeTransaction) -> dict[str, Any]:
    """Return a Safe transaction as a request gives it (integers as digits, bytes as 0x-hex)."""
    return {
        "to": tx.to,
        "value": str(tx.value),
        "data": "0x" + tx.data.hex(),
        "operation": tx.operation,
        "safe_tx_gas": str(tx.safe_tx_gas),
        "base_gas": str(tx.base_gas),
        "gas_price": str(tx.gas_price),
        "gas_token": tx.gas_token,
        "refund_receiver": tx.refund_receiver,
        "nonce": str(tx.nonce),
        "safe_tx_hash": "0x" + tx.shown_hash.hex(),
    }


def _transaction(kind: str, value: Any) -> presign.Transaction:
    if kind == "psbt":
        if not isinstance(value, str):
            raise ValueError("psbt must be base64 text")
        return presign.Psbt(value.strip())
    if kind == "evm":
        return presign.EvmTransaction(_hex(value, "evm"))
    return _safe(value)


def read(payload: Any) -> Asked:
    """Read a request; refuse (``bad_request``) one that names no wallet or not exactly one
    transaction. Fields of the transaction that cannot be read are not refused here: they
    are answered *refuse* (``malformed_transaction``) and recorded."""
    if not isinstance(payload, dict):
        raise _bad(_("the request must be a JSON object"))
    wallet = payload.get("wallet")
    if not isinstance(wallet, str) or not wallet.strip() or len(wallet) > 100:
        raise _bad(_("'wallet' is required: the name of the wallet in the key inventory"))
    kinds = [kind for kind in KINDS if kind in payload]
    if len(kinds) != 1:
        raise _bad(_("give exactly one of 'psbt', 'evm' or 'safe'"))
    kind = kinds[0]
    text = json.dumps(payload[kind], sort_keys=True, separators=(",", ":"), default=str)
    if len(text) > LIMIT:
        raise _bad(_("the transaction is larger than %(limit)s bytes") % {"limit": LIMIT})
    digest = hashlib.sha256(text.encode()).hexdigest()
    try:
        found: presign.Transaction | None = _transaction(kind, payload[kind])
        unreadable = ""
    except ValueError as error:
        found, unreadable = None, str(error)
    return Asked(wallet.strip(), kind, found, unreadable, digest)


def wallet_policy(wallet: Wallet) -> tuple[presign.WalletPolicy, int]:
    """Return the engine's policy of ``wallet`` and the hours an intent stays signable."""
    signing = SigningPolicy.objects.filter(wallet=wallet).first() or SigningPolicy(wallet=wallet)
    assets = list(Asset.objects.filter(chain=wallet.chain))
    native = next((a.code for a in assets if not a.contract), wallet.asset)
    own = {normalise(str(a)) for a in wallet.addresses}
    registered = CustodyWallet.objects.filter(asset__chain=wallet.chain)
    own |= {normalise(a) for a in registered.values_list("address", flat=True)}
    safe = None
    if signing.safe_address and signing.chain_id is not None:
        own.add(normalise(signing.safe_address))
        safe = presign.SafePolicy(
            address=signing.safe_address,
            chain_id=signing.chain_id,
            delegatecall_allowlist=frozenset(normalise(a) for a in signing.delegatecall_allowlist),
            multisend=frozenset(normalise(a) for a in signing.multisend),
            version=signing.safe_version,
        )
    policy = presign.WalletPolicy(
        chain=wallet.chain,
        native_asset=native,
        own_addresses=frozenset(own),
        fee=presign.FeePolicy(
            None if signing.max_fee is None else int(signing.max_fee), signing.max_fee_rate
        ),
        network=signing.network or "main",
        chain_id=signing.chain_id,
        token_contracts=tuple(sorted((a.code, a.contract) for a in assets if a.contract)),
        safe=safe,
    )
    return policy, signing.intent_hours


def _halts() -> tuple[bool, set[str], set[tuple[str, str]]]:
    """Return whether every withdrawal is halted, the assets and the customers halted (with
    the asset of a halt of one customer's asset, "" for every asset)."""
    everything, assets, customers = False, set(), set()
    for scope, key, asset in active_halts().values_list("scope", "key", "asset"):
        if scope == "all_withdrawals":
            everything = True
        elif scope == "asset":
            assets.add(key)
        elif scope == "customer":
            customers.add((key, ""))
        elif scope == "customer_asset":
            customers.add((key, asset))
    return everything, assets, customers


def _candidates(chain: str, transfers: tuple[presign.Transfer, ...]) -> list[WithdrawalIntent]:
    """Return, locked, the intents a transaction with ``transfers`` may pay or come near to:
    the same destination, or the same amount (to say what was expected)."""
    since = timezone.now() - timedelta(days=LOOKBACK_DAYS)
    near = Q(destination__in=sorted({t.recipient for t in transfers})) | Q(
        amount__in=sorted({t.amount for t in transfers})
    )
    found = WithdrawalIntent.objects.filter(
        near,
        chain=chain,
        decided_at__gte=since,
        state__in=[
            WithdrawalIntent.State.APPROVED,
            WithdrawalIntent.State.SIGNED,
            WithdrawalIntent.State.SENT,
        ],
    )
    return list(found.select_for_update().order_by("pk"))


def _verdict(
    asked: Asked, wallet: Wallet | None, caller: str, now: datetime
) -> tuple[presign.Verdict, list[WithdrawalIntent]]:
    if wallet is None:
        reason = refused(
            presign.Code.WALLET_NOT_REGISTERED,
            f"no wallet {asked.wallet!r} in the key inventory",
            None,
            asked.wallet,
        )
        return presign.Verdict(presign.Decision.REFUSE, (reason,), None), []
    if asked.transaction is None:
        reason = refused(presign.Code.MALFORMED_TRANSACTION, asked.unreadable)
        return presign.Verdict(presign.Decision.REFUSE, (reason,), None), []
    policy, hours = wallet_policy(wallet)
    decoded = presign.decode(asked.transaction, policy)
    rows = _candidates(wallet.chain, decoded.transfers) if decoded.transfers else []
    signed = set()
    if decoded.tx_hash is not None:
        mine = PresignAnswer.objects.filter(
            decision=PresignAnswer.Decision.SIGN, tx_hash=decoded.tx_hash, caller=caller
        )
        if mine.exists():
            signed.add(decoded.tx_hash)
    everything, assets, customers = _halts()
    if everything:
        assets |= {t.asset for t in decoded.transfers if t.asset is not None}
    verdict = presign.verify(
        asked.transaction,
        [intents.as_engine_intent(row, hours, decoded.tx_hash) for row in rows],
        policy,
        assets,
        signed,
        now,
        decoded,
    )
    paid = [row for row in rows if row.event_id in verdict.intents]
    stopped = sorted(
        {
            row.customer
            for row in paid
            if (row.customer, "") in customers or (row.customer, row.asset) in customers
        }
    )
    if stopped:
        extra = tuple(
            refused(
                presign.Code.CUSTOMER_HALTED,
                f"withdrawals of customer {customer} are halted",
                None,
                customer,
            )
            for customer in stopped
        )
        verdict = presign.Verdict(
            presign.Decision.REFUSE,
            verdict.reasons + extra,
            verdict.tx_hash,
            verdict.transfers,
            verdict.intents,
            verdict.fee,
        )
    return verdict, paid


def answer(asked: Asked, caller: str, channel: str) -> tuple[PresignAnswer, presign.Verdict]:
    """Answer ``asked`` for ``caller`` (a token's name) over ``channel`` (``http``, ``nats``,
    ``cli``): verify, record the answer and its audit-log entry, mark the intents it pays
    signed — all in one transaction."""
    intents.catch_up()
    now = timezone.now()
    with transaction.atomic():
        wallet = Wallet.objects.filter(name=asked.wallet).first()
        verdict, paid = _verdict(asked, wallet, caller, now)
        said = verdict.as_dict()
        record = PresignAnswer.objects.create(
            wallet=wallet,
            wallet_name=asked.wallet[:100],
            caller=caller[:200],
            channel=channel,
            kind=asked.kind,
            request_sha256=asked.sha256,
            tx_hash=verdict.tx_hash or "",
            decision=str(verdict.decision),
            reasons=said["reasons"],
            transfers=said["transfers"],
            intents=list(verdict.intents),
            fee=verdict.fee,
            at=now,
        )
        if verdict.decision is presign.Decision.SIGN:
            for row in paid:
                if row.state == WithdrawalIntent.State.APPROVED:
                    row.state = WithdrawalIntent.State.SIGNED
                    row.signed_at = now
                    row.signed_hash = verdict.tx_hash or ""
                    row.save(update_fields=["state", "signed_at", "signed_hash"])
    return record, verdict
