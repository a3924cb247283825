"""API for setting custody up (scope ``custody:admin``, permission ``custody.manage``): assets,
wallets one by one or from a file, and requests to create or change thresholds and cap
policies, which take effect once two people approve. Limits are decimal strings of base units.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from mamori.accounts.models import ApprovalRequest, User
from mamori.core.api import acting_person, authenticated, refusals
from mamori.core.errors import Refused
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
    """A threshold's new limit: exactly one of base units or JPY, as decimal strings; it
    applies when the total reaches it (≥, ISM 27-3 「基準値に達した場合」)."""

    limit_units: str | None = Field(
        default=None, pattern=r"^[0-9]{1,40}$", description=limits.IN_UNITS
    )
    limit_jpy: str | None = Field(
        default=None, pattern=r"^[0-9]{1,24}(\.[0-9]{1,6})?$", description=limits.IN_JPY
    )


class PreviewOut(Schema):
    """What a threshold would have done over the last 30 days of the monitor's journal: the
    movements it applies to and how many would have reached it (held, halted or told, as its
    level says); the limit in the asset's units or in yen."""

    since: datetime
    until: datetime
    level: str
    movements: int
    reached: int
    limit_ja: str
    limit_en: str


def _person(request: HttpRequest) -> User:
    who = acting_person(request, "custody.manage")
    assert who is not None  # person_required: a service token never gets here
    return who


def _opened(request: ApprovalRequest) -> Status[dict[str, Any]]:
    body = {"approval_request": request.pk, "kind": request.kind, "status": request.status}
    return Status(201, body)


def list_assets(request: HttpRequest) -> list[dict[str, Any]]:
    """List the assets."""
    return [setup.asset_row(a) for a in Asset.objects.select_related("responsible")]


def add_asset(request: HttpRequest, body: AssetIO) -> Status[Any]:
    """Create an asset; 422 names every problem."""
    _person(request)
    asset = setup.add_asset(setup.AssetIn(**body.dict()))
    return Status(201, setup.asset_row(asset))


def list_wallets(request: HttpRequest) -> list[dict[str, Any]]:
    """List the wallets."""
    return [setup.wallet_row(w) for w in Wallet.objects.select_related("asset")]


def add_wallet(request: HttpRequest, body: WalletIO) -> Status[Any]:
    """Ask for a wallet to be registered: it exists once two other people approve (the
    exchange's own moves may go to it). An address not valid for the asset's chain is refused
    (422)."""
    who = _person(request)
    return _opened(setup.request_wallets([setup.WalletIn(**body.dict())], who))


def import_wallets(request: HttpRequest, file: File[UploadedFile]) -> Status[Any]:
    """Register every wallet of a .csv or .xlsx file, or none: 422 lists every bad row as
    ``line N`` with its reason."""
    _person(request)
    if (file.size or 0) > _MAX_FILE:
        raise Refused("too_large", _("At most %(limit)s bytes.") % {"limit": f"{_MAX_FILE:,}"})
    who = _person(request)
    wallets = setup.read_wallets(file.read(), Path(file.name or "").name)
    return _opened(setup.request_wallets(wallets, who))


def request_threshold(request: HttpRequest, body: limits.ThresholdSpec) -> Status[Any]:
    """Ask for a threshold to be created: it exists once two people approve."""
    return _opened(limits.request_threshold(body, _person(request)))


def request_limit(request: HttpRequest, code: str, body: LimitIn) -> Status[Any]:
    """Ask for a threshold's limit to change (two approvals; refused if it changed since)."""
    rule = get_object_or_404(ThresholdRule, code=code)
    terms = limits.LimitTerms(limit_units=body.limit_units, limit_jpy=body.limit_jpy)
    return _opened(limits.request_limit(rule, terms, _person(request)))


def preview_threshold(request: HttpRequest, body: limits.ThresholdSpec) -> dict[str, Any]:
    """Show what a threshold (a new one, or an existing one with a new limit) would have
    done over the last 30 days, before asking for it: nothing is asked or changed."""
    from mamori.custody.services import preview

    _person(request)
    limits.check_spec(body)
    return asdict(preview.preview(body))


def request_switch(request: HttpRequest, code: str) -> Status[Any]:
    """Ask for a threshold to be switched off (or on): two approvals."""
    rule = get_object_or_404(ThresholdRule, code=code)
    return _opened(thresholds.request_switch(rule, _person(request)))


def request_cap(request: HttpRequest, code: str, body: limits.CapTerms) -> Status[Any]:
    """Ask for the asset's hot-wallet cap policy to be set or changed: two approvals."""
    asset = get_object_or_404(Asset, code=code)
    with transaction.atomic():
        return _opened(limits.request_cap(asset, body, _person(request)))


def mount(router: Router) -> None:
    """Add the set-up operations to custody's ``router`` (under ``/api/custody``)."""
    opened = {201: RequestOut, **refusals(409, 422)}
    changed = {201: RequestOut, **refusals(404, 409, 422)}
    router.get("/assets", response=list[AssetIO], auth=_AUTH)(list_assets)
    router.post("/assets", response={201: AssetIO, **refusals(422)}, auth=_AUTH)(add_asset)
    router.get("/wallets", response=list[WalletIO], auth=_AUTH)(list_wallets)
    router.post("/wallets", response=opened, auth=_AUTH)(add_wallet)
    router.post("/wallets/import", response=opened, auth=_AUTH)(import_wallets)
    router.post("/thresholds", response=opened, auth=_AUTH)(request_threshold)
    router.post("/thresholds/preview", response={200: PreviewOut, **refusals(422)}, auth=_AUTH)(
        preview_threshold
    )
    router.post("/thresholds/{code}/limit", response=changed, auth=_AUTH)(request_limit)
    router.post("/thresholds/{code}/switch", response=changed, auth=_AUTH)(request_switch)
    router.put("/assets/{code}/cap-policy", response=changed, auth=_AUTH)(request_cap)
