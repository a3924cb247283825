"""API for setting custody up (scope ``custody:admin``, permission ``custody.manage``): assets,
wallets one by one or from a file, and requests to create or change thresholds and cap
policies, which take effect once two people approve. Limits are decimal strings of base units.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services.approvals import ApprovalRefused
from mamori.core.api import ErrorBody, acting_person, authenticated
from mamori.custody.models import Asset, ThresholdRule, Wallet
from mamori.custody.services import limits, setup, thresholds

__all__ = ["ADMIN_SCOPE", "mount"]

#: The scope (permission ``custody.manage``) of every set-up operation.
ADMIN_SCOPE = "custody:admin"
_AUTH = authenticated(ADMIN_SCOPE, person_required=True)
_MAX_FILE = 5 * 1024 * 1024


class AssetIO(Schema):
    """An asset: code, name, chain, base-unit decimals, token contract, responsible person
    (user name) and what a withdrawal to an address not on the allowlist does."""

    code: str = Field(max_length=20)
    name: str = Field(max_length=100)
    chain: str = Field(max_length=40)
    decimals: int = Field(ge=0, le=setup.MAX_DECIMALS)
    contract: str = Field(default="", max_length=100)
    responsible: str = Field(default="", max_length=150)
    unknown_address: Literal["hold", "reject", "allow"] = "hold"


class WalletIO(Schema):
    """A wallet: its asset, hot/warm/cold, address, m of n signers, site and custodian."""

    name: str = Field(max_length=100)
    asset: str = Field(max_length=20)
    kind: Literal["hot", "warm", "cold"]
    address: str = Field(max_length=200)
    m: int = Field(default=1, ge=1, le=setup.MAX_SIGNERS)
    n: int = Field(default=1, ge=1, le=setup.MAX_SIGNERS)
    site: str = Field(default="", max_length=100)
    custodian: str = Field(default="", max_length=100)


class RequestOut(Schema):
    """The approval request that was opened (two approvals apply it)."""

    approval_request: int
    kind: str
    status: str


class LimitIn(Schema):
    """A threshold's new limit: exactly one of base units or JPY, as decimal strings."""

    limit_units: str | None = Field(default=None, pattern=r"^[0-9]{1,40}$")
    limit_jpy: str | None = Field(default=None, pattern=r"^[0-9]{1,24}(\.[0-9]{1,6})?$")


def _person(request: HttpRequest) -> User:
    who = acting_person(request, "custody.manage")
    assert who is not None  # person_required: a service token never gets here
    return who


def _refusal(code: str, message: str, fields: list[dict[str, str]] | None = None) -> Status[Any]:
    return Status(422, {"code": code, "message": message, "fields": fields or []})


def _opened(request: ApprovalRequest) -> Status[dict[str, Any]]:
    body = {"approval_request": request.pk, "kind": request.kind, "status": request.status}
    return Status(201, body)


def list_assets(request: HttpRequest) -> list[dict[str, Any]]:
    """List the assets."""
    return [setup.asset_row(a) for a in Asset.objects.select_related("responsible")]


def add_asset(request: HttpRequest, body: AssetIO) -> Status[Any]:
    """Create an asset; 422 names every problem."""
    _person(request)
    try:
        asset = setup.add_asset(setup.AssetIn(**body.dict()))
    except setup.SetupRefused as refused:
        return _refusal(refused.code, refused.message)
    return Status(201, setup.asset_row(asset))


def list_wallets(request: HttpRequest) -> list[dict[str, Any]]:
    """List the wallets."""
    return [setup.wallet_row(w) for w in Wallet.objects.select_related("asset")]


def add_wallet(request: HttpRequest, body: WalletIO) -> Status[Any]:
    """Ask for a wallet to be registered: it exists once two other people approve (the
    exchange's own moves may go to it). An address not valid for the asset's chain is refused
    (422)."""
    who = _person(request)
    try:
        return _opened(setup.request_wallets([setup.WalletIn(**body.dict())], who))
    except setup.SetupRefused as refused:
        return _refusal(refused.code, refused.message)


def import_wallets(request: HttpRequest, file: File[UploadedFile]) -> Status[Any]:
    """Register every wallet of a .csv or .xlsx file, or none: 422 lists every bad row as
    ``line N`` with its reason."""
    _person(request)
    if (file.size or 0) > _MAX_FILE:
        return _refusal("too_large", f"at most {_MAX_FILE} bytes")
    who = _person(request)
    try:
        wallets = setup.read_wallets(file.read(), Path(file.name or "").name)
    except setup.SetupRefused as refused:
        fields = [{"field": f"line {p.line}", "message": p.reason} for p in refused.problems]
        return _refusal(refused.code, refused.message, fields)
    return _opened(setup.request_wallets(wallets, who))


def request_threshold(request: HttpRequest, body: limits.ThresholdSpec) -> Status[Any]:
    """Ask for a threshold to be created: it exists once two people approve."""
    try:
        return _opened(limits.request_threshold(body, _person(request)))
    except ApprovalRefused as refused:
        return _refusal(refused.code, refused.message)


def request_limit(request: HttpRequest, code: str, body: LimitIn) -> Status[Any]:
    """Ask for a threshold's limit to change (two approvals; refused if it changed since)."""
    rule = get_object_or_404(ThresholdRule, code=code)
    try:
        terms = limits.LimitTerms(limit_units=body.limit_units, limit_jpy=body.limit_jpy)
        return _opened(limits.request_limit(rule, terms, _person(request)))
    except ApprovalRefused as refused:
        return _refusal(refused.code, refused.message)


def request_switch(request: HttpRequest, code: str) -> Status[Any]:
    """Ask for a threshold to be switched off (or on): two approvals."""
    rule = get_object_or_404(ThresholdRule, code=code)
    try:
        return _opened(thresholds.request_switch(rule, _person(request)))
    except ApprovalRefused as refused:
        return _refusal(refused.code, refused.message)


def request_cap(request: HttpRequest, code: str, body: limits.CapTerms) -> Status[Any]:
    """Ask for the asset's hot-wallet cap policy to be set or changed: two approvals."""
    asset = get_object_or_404(Asset, code=code)
    try:
        with transaction.atomic():
            return _opened(limits.request_cap(asset, body, _person(request)))
    except ApprovalRefused as refused:
        return _refusal(refused.code, refused.message)


def mount(router: Router) -> None:
    """Add the set-up operations to custody's ``router`` (under ``/api/custody``)."""
    router.get("/assets", response=list[AssetIO], auth=_AUTH)(list_assets)
    router.post("/assets", response={201: AssetIO, 422: ErrorBody}, auth=_AUTH)(add_asset)
    router.get("/wallets", response=list[WalletIO], auth=_AUTH)(list_wallets)
    router.post("/wallets", response={201: RequestOut, 422: ErrorBody}, auth=_AUTH)(add_wallet)
    router.post("/wallets/import", response={201: RequestOut, 422: ErrorBody}, auth=_AUTH)(
        import_wallets
    )
    router.post("/thresholds", response={201: RequestOut, 422: ErrorBody}, auth=_AUTH)(
        request_threshold
    )
    router.post("/thresholds/{code}/limit", response={201: RequestOut, 422: ErrorBody}, auth=_AUTH)(
        request_limit
    )
    router.post(
        "/thresholds/{code}/switch", response={201: RequestOut, 422: ErrorBody}, auth=_AUTH
    )(request_switch)
    router.put("/assets/{code}/cap-policy", response={201: RequestOut, 422: ErrorBody}, auth=_AUTH)(
        request_cap
    )
