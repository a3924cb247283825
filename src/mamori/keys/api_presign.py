"""API of the pre-sign check (ISM 29-1-4).

``POST /api/keys/presign`` — only for a service token with scope ``keys:presign`` (a co-signer
or signing service, never a person's session) — sends the transaction about to be signed:
``{"wallet": "btc-hot", "psbt": "<base64>"}``, ``{"wallet": "eth-safe", "evm": "0x02…"}`` or
``{"wallet": "eth-safe", "safe": {"to": …, "value": …, …, "safe_tx_hash": "0x…"}}``. The answer
is ``200`` whether it is *sign* or *refuse* (a refusal is an answer, not an error), with every
reason's stable code, what was expected and what was got, and the audit-log entry recording it.
``GET /api/keys/presign/answers`` and ``GET /api/keys/intents`` (scope ``keys:read``) list the
answers given and the withdrawals waiting to be signed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import paginate

from mamori.accounts.models import ApiToken
from mamori.auditlog.models import Entry
from mamori.core.api import Pagination, TokenAuth, authenticated, refusals
from mamori.core.errors import Refused
from mamori.keys import intents, presign
from mamori.keys.models import PresignAnswer, WithdrawalIntent

__all__ = ["router"]

router = Router(tags=["keys"])


class PresignIn(Schema):
    """The wallet and exactly one transaction: a PSBT (base64), an EVM transaction (0x-hex,
    signed or unsigned) or a Safe transaction's fields with the hash the signers will sign."""

    wallet: str
    psbt: str | None = None
    evm: str | None = None
    safe: dict[str, Any] | None = None


class PresignReasonOut(Schema):
    """One broken check: its stable code, words, what was expected and what was got."""

    code: str
    message: str
    expected: str | None
    got: str | None


class PresignTransferOut(Schema):
    """One movement the transaction makes; amounts in base units, as digits."""

    asset: str | None
    recipient: str
    amount: str
    contract: str | None


class PresignOut(Schema):
    """The answer: ``sign`` or ``refuse``, the hash that would be signed, every reason."""

    answer: int
    decision: str
    tx_hash: str | None
    reasons: list[PresignReasonOut]
    transfers: list[PresignTransferOut]
    intents: list[str]
    fee: str | None
    audit_entry: int | None


class AnswerRow(Schema):
    """An answer given."""

    id: int
    at: datetime
    wallet: str
    caller: str
    channel: str
    kind: str
    tx_hash: str
    decision: str
    codes: list[str]
    intents: list[str]

    @staticmethod
    def resolve_wallet(obj: PresignAnswer) -> str:
        """The wallet asked for."""
        return obj.wallet_name

    @staticmethod
    def resolve_codes(obj: PresignAnswer) -> list[str]:
        """The reasons' codes, in order."""
        return [str(reason["code"]) for reason in obj.reasons]


class IntentRow(Schema):
    """A withdrawal the custody check allowed, and where it stands."""

    id: str
    customer: str
    asset: str
    chain: str
    amount: str
    destination: str
    state: str
    decided_at: datetime
    approved_at: datetime | None
    signed_at: datetime | None
    signed_hash: str

    @staticmethod
    def resolve_id(obj: WithdrawalIntent) -> str:
        """The withdrawal request's id."""
        return obj.event_id

    @staticmethod
    def resolve_amount(obj: WithdrawalIntent) -> str:
        """The amount in base units, as digits."""
        return str(obj.amount)


def _known(name: str, value: str, known: list[str]) -> None:
    if value and value not in known:
        raise Refused(
            "bad_filter",
            _("%(name)s must be one of %(known)s") % {"name": name, "known": ", ".join(known)},
            fields=[(f"query.{name}", _("unknown"))],
        )


def caller_of(request: HttpRequest) -> str:
    """Return who asks: the token's name."""
    token = request.auth  # type: ignore[attr-defined]
    return f"token:{token.name}" if isinstance(token, ApiToken) else str(token)


def entry_of(record: PresignAnswer) -> int | None:
    """Return the audit-log position of the entry recording ``record``."""
    found = Entry.objects.filter(object_type="keys.presignanswer", object_id=str(record.pk))
    return found.values_list("position", flat=True).first()


def answer_body(record: PresignAnswer, verdict_dict: dict[str, Any]) -> dict[str, Any]:
    """Return the answer as the API and the NATS reply give it."""
    return {"answer": record.pk, **verdict_dict, "audit_entry": entry_of(record)}


@router.post(
    "/presign",
    response={200: PresignOut, **refusals(422)},
    auth=[TokenAuth("keys:presign")],
)
def presign_check(request: HttpRequest, payload: PresignIn) -> dict[str, Any]:
    """Answer *sign* or *refuse* for the transaction a co-signer is about to sign."""
    body = {k: v for k, v in payload.dict().items() if v is not None}
    record, verdict = presign.answer(presign.read(body), caller_of(request), "http")
    return answer_body(record, verdict.as_dict())


@router.get(
    "/presign/answers",
    response={200: list[AnswerRow], **refusals(422)},
    auth=authenticated("keys:read"),
)
@paginate(Pagination)
def list_answers(request: HttpRequest, decision: str = "", wallet: str = "") -> Any:
    """The answers given, newest first; ``decision`` (sign, refuse) and ``wallet`` filter."""
    _known("decision", decision, PresignAnswer.Decision.values)
    found = PresignAnswer.objects.all()
    if decision:
        found = found.filter(decision=decision)
    if wallet:
        found = found.filter(wallet_name=wallet)
    return found


@router.get(
    "/intents",
    response={200: list[IntentRow], **refusals(422)},
    auth=authenticated("keys:read"),
)
@paginate(Pagination)
def list_intents(request: HttpRequest, state: str = "", asset: str = "") -> Any:
    """The withdrawals waiting to be signed (and those signed), newest first."""
    _known("state", state, WithdrawalIntent.State.values)
    intents.catch_up()
    found = WithdrawalIntent.objects.all()
    if state:
        found = found.filter(state=state)
    if asset:
        found = found.filter(asset=asset)
    return found
