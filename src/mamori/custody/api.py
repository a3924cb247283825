"""API of custody: the exchange's services check withdrawals, report events, read halts.

``POST /api/custody/withdrawals/check`` (scope ``custody:check``) is idempotent by
``request_id``: sending the same request again returns the first decision; the same id with
different content is refused as possible tampering.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import BaseModel, ValidationInfo, field_validator

from mamori.accounts.models import ApiToken, User
from mamori.core.api import Pagination, authenticated, explain_pattern, refusals
from mamori.core.errors import Refused
from mamori.custody import bounds, models
from mamori.custody.models import Halt
from mamori.custody.services import checks, monitor
from mamori.engines import threshold as engine

__all__ = ["CHECK_SCOPE", "CheckIn", "DecisionOut", "decided_check", "decision_body", "router"]

router = Router(tags=["custody"])
_IN_BASE_UNITS = gettext_lazy(
    "must be a whole number of the asset's base units (satoshi for BTC, wei for ETH): "
    "digits only, no fraction, sign or exponent"
)
AMOUNT = explain_pattern(r"^[0-9]{1,40}$", _IN_BASE_UNITS)
AMOUNT_IF_ANY = explain_pattern(r"^([0-9]{1,40})?$", _IN_BASE_UNITS)  # events without one
#: The scope a service needs to ask for a check (here and in the fast path's gateway,
#: :mod:`mamori.custody.fastpath.gateway`).
CHECK_SCOPE = "custody:check"


class ReasonOut(Schema):
    """Why: a stable code, the rule, observed against limit, in words."""

    code: str
    message: str
    rule: str | None = None
    observed: str | None = None
    limit: str | None = None


class HaltOut(Schema):
    """A halt: what it stops (``scope``: customer_asset — the customer ``key``'s withdrawals
    of ``asset`` —, customer, asset, all_withdrawals, market), what caused it and, if its rule
    allows it, when it ends by itself (``until``)."""

    id: str
    scope: str
    key: str
    asset: str = ""
    rule: str
    event: str
    at: datetime
    until: datetime | None = None


class DecisionOut(Schema):
    """The decision for one request or event."""

    id: str
    action: str
    reasons: list[ReasonOut]
    halts: list[HaltOut]
    approval_request: int | None = None


def _printable(value: str, info: ValidationInfo) -> str:
    """Refuse a control or direction-changing character in a text field (NUL, U+202E: the
    field's length is bounded by its declaration)."""
    return bounds.identifier(value, str(info.field_name), bounds.ADDRESS_MAX)


def _near_now(at: datetime | None) -> datetime | None:
    """Refuse an event time without a time zone or far from the server's clock."""
    return None if at is None else bounds.event_time(at, timezone.now())


# A plain pydantic model, not a ninja ``Schema``: it is only read from JSON, never from a
# Django object, so the ``Schema``'s wrapping validator (each field fetched through Python
# code) is not needed — every fast check (:mod:`mamori.custody.fastpath.batches`) is validated
# with it.
class CheckIn(BaseModel):
    """A customer's withdrawal instruction, amount in base units as a string of digits."""

    request_id: str = Field(min_length=1, max_length=bounds.ID_MAX)
    customer: str = Field(min_length=1, max_length=bounds.ID_MAX)
    asset: str = Field(min_length=1, max_length=20)
    amount: str = Field(pattern=AMOUNT)
    address: str = Field(default="", max_length=bounds.ADDRESS_MAX)
    at: datetime | None = None

    _texts = field_validator("request_id", "customer", "asset", "address")(_printable)
    _time = field_validator("at")(_near_now)


class EventIn(Schema):
    """A deposit, a cancelled or sent withdrawal, a price or a wallet balance."""

    type: Literal["deposit", "withdrawal_cancelled", "withdrawal_sent", "price", "balance"]
    id: str = Field(min_length=1, max_length=bounds.ID_MAX)
    at: datetime
    customer: str = Field(default="", max_length=bounds.ID_MAX)
    asset: str = Field(default="", max_length=20)
    amount: str = Field(default="", pattern=AMOUNT_IF_ANY)
    withdrawal: str = Field(default="", max_length=bounds.ID_MAX)
    wallet: str = Field(default="", max_length=bounds.ID_MAX)
    jpy: str = Field(default="", max_length=32)

    _texts = field_validator("id", "customer", "asset", "withdrawal", "wallet", "jpy")(_printable)
    _time = field_validator("at")(_near_now)


def decision_body(decision: engine.Decision, approval: int | None = None) -> dict[str, Any]:
    """Return the answer to a check or an event (the :class:`DecisionOut` fields)."""
    return {
        "id": decision.event,
        "action": str(decision.action),
        "reasons": [
            {
                "code": r.code,
                "message": r.message,
                "rule": r.rule,
                "observed": str(r.observed) if r.observed is not None else None,
                "limit": str(r.limit) if r.limit is not None else None,
            }
            for r in decision.reasons
        ],
        "halts": [
            {
                "id": h.id,
                "scope": str(h.scope),
                "key": h.key,
                "asset": h.asset,  # in the order of HaltOut: the fast path renders this dict
                "rule": h.rule,
                "event": h.event,
                "at": h.at,
                "until": h.until,
            }
            for h in decision.halts
        ],
        "approval_request": approval,
    }


@router.post(
    "/withdrawals/check",
    response={200: DecisionOut, **refusals(403, 422)},
    auth=authenticated(CHECK_SCOPE),
)
def check_withdrawal(request: HttpRequest, body: CheckIn) -> dict[str, Any]:
    """Decide a withdrawal: allow, hold (approval id given), reject or halt, with reasons."""
    requester = request.auth  # type: ignore[attr-defined]
    if not isinstance(requester, User | ApiToken):
        raise Refused("no_requester", _("the caller cannot request a check"), status=403)
    return decided_check(body, requester)


def decided_check(body: CheckIn, requester: User | ApiToken) -> dict[str, Any]:
    """Decide the check ``body`` asks for (its fields within their bounds) and return the
    answer's fields: the endpoint and the fast path (:mod:`mamori.custody.fastpath.batches`)
    both."""
    checked = checks.check_withdrawal(
        body.request_id,
        body.customer,
        body.asset,
        int(body.amount),
        body.address,
        body.at,
        requester,
    )
    return decision_body(checked.decision, checked.approval.pk if checked.approval else None)


def _event(body: EventIn, now: datetime) -> engine.Event:
    from mamori.custody.services import inbound

    data = body.dict()
    data["at"] = body.at.isoformat()
    data["type"] = body.type
    try:
        return inbound.parse(data, now)
    except ValueError as exc:
        raise Refused("bad_event", str(exc)) from None


@router.post(
    "/events", response={200: DecisionOut, **refusals(422)}, auth=authenticated("custody:report")
)
def report_event(request: HttpRequest, body: EventIn) -> dict[str, Any]:
    """Report a deposit, cancellation, send, price or balance (idempotent by id)."""
    now = timezone.now()
    return decision_body(monitor.decide(_event(body, now), now))


def _halt(halt: Halt) -> dict[str, Any]:
    return {
        "id": halt.halt_id,
        "scope": halt.scope,
        "key": halt.key,
        "asset": halt.asset,
        "rule": halt.rule,
        "event": halt.event_id,
        "at": halt.started_at,
        "until": halt.expires_at,
    }


@router.get("/halts", response=list[HaltOut], auth=authenticated("custody:read"))
def active_halts(request: HttpRequest) -> list[dict[str, Any]]:
    """List the active halts (not lifted, not expired): every matching withdrawal is refused
    while one is active."""
    return [_halt(h) for h in models.active_halts().order_by("started_at")]


class WithdrawalStateOut(Schema):
    """Where a checked withdrawal stands: its decision as it stands now (a held one released
    is ``allow`` with the reason ``hold_released``, a refused one ``reject`` with
    ``hold_refused``) and, if it was held, the hold's outcome."""

    id: str
    action: str
    hold: Literal["waiting", "released", "refused"] | None
    approval_request: int | None = None
    reasons: list[ReasonOut]


@router.get(
    "/withdrawals/{request_id}",
    response={200: WithdrawalStateOut, **refusals(404, 422)},
    auth=authenticated(CHECK_SCOPE),
)
def withdrawal_state(request: HttpRequest, request_id: str) -> dict[str, Any]:
    """Tell the exchange what became of a checked withdrawal (poll a held one until it is
    released or refused)."""
    first = models.MonitorRecord.objects.filter(event_id=request_id, kind="event").first()
    if first is None or not isinstance(first.row, list) or first.row[0] % 10 != 1:
        raise Refused(
            "unknown_withdrawal",
            _("No withdrawal %(id)s was checked.") % {"id": request_id[:200]},
            status=404,
        )
    decision = monitor.current().process(engine.unchecked_row(first.row)[0])
    held = models.HeldWithdrawal.objects.filter(event_id=request_id).first()
    hold = None
    if held is not None:
        decision = checks.with_outcome(decision, held)
        hold = held.outcome or "waiting"
    body = decision_body(decision, held.approval_id if held is not None else None)
    return {
        "id": body["id"],
        "action": body["action"],
        "hold": hold,
        "approval_request": body["approval_request"],
        "reasons": body["reasons"],
    }


class TradingOut(Schema):
    """Whether trading in one market may go on (ISM 27-3: 売買停止)."""

    market: str
    trading: Literal["open", "halted"]
    halts: list[HaltOut]


@router.get(
    "/trading", response={200: TradingOut, **refusals(422)}, auth=authenticated("custody:read")
)
def trading_status(request: HttpRequest, market: str) -> dict[str, Any]:
    """Tell the exchange's order gateway whether ``market`` (e.g. ``BTC/JPY``) is halted: a
    market halt names the market or its base asset (a threshold rule's asset)."""
    name = market.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{2,12}/[A-Z0-9]{2,12}", name):
        raise Refused(
            "bad_market",
            _("a market is BASE/QUOTE, e.g. BTC/JPY; got %(market)r") % {"market": market},
        )
    base = name.split("/")[0]
    halts = [
        _halt(h)
        for h in Halt.objects.filter(
            lifted_at__isnull=True, scope="market", key__in=[name, base]
        ).order_by("started_at")
    ]
    return {"market": name, "trading": "halted" if halts else "open", "halts": halts}


class AddressIn(Schema):
    """A customer's withdrawal destination to register."""

    customer: str = Field(min_length=1, max_length=bounds.ID_MAX)
    asset: str = Field(min_length=1, max_length=20)
    address: str = Field(min_length=1, max_length=bounds.ADDRESS_MAX)
    label: str = Field(default="", max_length=100)

    _texts = field_validator("customer", "asset", "address", "label")(_printable)


class AddressOut(Schema):
    """A registered destination and where its approval stands."""

    customer: str
    asset: str
    address: str
    status: str
    usable_from: datetime | None
    approval_request: int


class MoveIn(Schema):
    """One of the exchange's own transfers between wallets."""

    asset: str = Field(min_length=1, max_length=20)
    to_address: str = Field(min_length=1, max_length=bounds.ADDRESS_MAX)

    _texts = field_validator("asset", "to_address")(_printable)


def _asset(code: str) -> Any:
    from mamori.custody.models import Asset

    asset = Asset.objects.filter(code=code).first()
    if asset is None:
        raise Refused("unknown_asset", _("unknown asset %(code)r") % {"code": code})
    return asset


@router.post(
    "/addresses",
    response={201: AddressOut, **refusals(409, 422)},
    auth=authenticated("custody:report"),
)
def register_address(request: HttpRequest, body: AddressIn) -> Status[dict[str, Any]]:
    """Register a customer's destination: usable after one approval and the cool-down."""
    from mamori.custody.services import allowlist

    requester = request.auth  # type: ignore[attr-defined]
    entry = allowlist.request_address(
        body.customer, _asset(body.asset), body.address, body.label, requester
    )
    return Status(
        201,
        {
            "customer": entry.customer,
            "asset": body.asset,
            "address": entry.address,
            "status": entry.status,
            "usable_from": entry.usable_from,
            "approval_request": entry.approval_id,
        },
    )


class AddressRow(AddressOut):
    """A registered destination as the list gives it."""

    id: int
    label: str
    requested_at: datetime

    @staticmethod
    def resolve_asset(obj: Any) -> str:
        """The asset's code."""
        return str(obj.asset.code)

    @staticmethod
    def resolve_approval_request(obj: Any) -> int:
        """The approval request's number."""
        return int(obj.approval_id)


@router.get(
    "/addresses",
    response={200: list[AddressRow], **refusals(422)},
    auth=authenticated("custody:read"),
)
@paginate(Pagination)
def list_addresses(
    request: HttpRequest, asset: str = "", status: str = "", q: str = "", sort: str = ""
) -> Any:
    """List the registered destinations, newest first, with the filters of the custody page:
    ``asset`` (code), ``status`` (pending, approved, rejected), ``q`` (customer, address or
    label holds it), ``sort`` (a column of the page's list, ``-`` first for descending)."""
    from mamori.custody.lists import AddressFilter, AddressTable
    from mamori.custody.models import AllowedAddress

    asked = QueryDict(mutable=True)
    asked.update({"asset": asset, "status": status, "q": q})
    found = AddressFilter(asked, queryset=AllowedAddress.objects.select_related("asset"))
    if not found.is_valid():
        fields = [(f"query.{name}", " ".join(e)) for name, e in found.errors.items()]
        raise Refused("bad_filter", _("a filter is not one the list knows"), fields=fields)
    return AddressTable.ordered(found.qs, sort)


@router.post(
    "/moves/check",
    response={200: DecisionOut, **refusals(422)},
    auth=authenticated("custody:check"),
)
def check_move(request: HttpRequest, body: MoveIn) -> dict[str, Any]:
    """Check one of the exchange's own moves: only to its registered wallets."""
    from mamori.custody.services import allowlist

    verdict = allowlist.check_internal_move(_asset(body.asset), body.to_address)
    reasons = [{"code": verdict.code, "message": verdict.message}] if verdict.code else []
    return {"id": "", "action": verdict.action, "reasons": reasons, "halts": []}


def _with_setup() -> None:
    """Add the set-up operations (:mod:`mamori.custody.api_setup`) to this router."""
    from mamori.custody import api_setup

    api_setup.mount(router)


_with_setup()
