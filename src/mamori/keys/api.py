"""API of the key inventory (ISM 28, 29-1-5/6).

``GET /api/keys/wallets`` and ``GET /api/keys/wallets/{id}`` (scope ``keys:read``) give the
wallets, and for one wallet its keys, backups and each check's result; ``POST /api/keys/keys``
(scope ``keys:write``) enters a key or share, refused (422, ``spread_violation`` or
``secret_refused``) when it would break a spread rule or holds what looks like a secret.
``GET /api/keys/leak`` (``keys:read``) says where leak response stands (ISM 30); ``POST
/api/keys/leak/flag`` (``keys:write``) flags the runbook for revision after a custody-system
change made outside mamori (ISM 30-2).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status

from mamori.accounts.models import Department, User
from mamori.core.api import acting_person, authenticated, refusals
from mamori.core.errors import Refused
from mamori.keys import services
from mamori.keys.models import KeyMaterial, Site, Wallet

__all__ = ["router"]

router = Router(tags=["keys"])


class WalletOut(Schema):
    """A wallet, its scheme and how many checks it violates."""

    id: int
    name: str
    chain: str
    asset: str
    scheme: str
    m: int
    n: int
    hot: bool
    addresses: list[str]
    keys: int
    violated: int


class KeyOut(Schema):
    """A key or share: where it is and who holds it (never a secret)."""

    id: int
    label: str
    role: str
    holder: str
    site: str
    unit: str
    storage_kind: str
    storage_model: str
    encryption: str
    curve: str
    public_key: str
    share_of: str


class ResultOut(Schema):
    """One check of the wallet: holds or not, the article, the conflicts and what it says."""

    code: str
    holds: bool
    article: str
    conflicts: list[dict[str, str]]
    said: str
    checked_at: str


class WalletDetailOut(WalletOut):
    """A wallet with its keys, backups and check results."""

    key_material: list[KeyOut]
    backups: list[dict[str, str]]
    results: list[ResultOut]


class KeyIn(Schema):
    """A key or share to enter; ``holder`` is a username, ``site`` and ``unit`` are codes."""

    wallet: str
    label: str
    role: str
    holder: str
    site: str
    unit: str = ""
    storage_kind: str
    storage_model: str = ""
    encryption: str = ""
    curve: str = "secp256k1"
    public_key: str = ""
    share_of: str = ""


def _wallet(wallet: Wallet) -> dict[str, Any]:
    return {
        "id": wallet.pk,
        "name": wallet.name,
        "chain": wallet.chain,
        "asset": wallet.asset,
        "scheme": wallet.scheme,
        "m": wallet.m,
        "n": wallet.n,
        "hot": wallet.hot,
        "addresses": list(wallet.addresses),
        "keys": wallet.keys.count(),
        "violated": wallet.results.filter(holds=False).count(),
    }


def _key(key: KeyMaterial) -> dict[str, Any]:
    unit = services.key_value(key, ()).unit
    return {
        "id": key.pk,
        "label": key.label,
        "role": key.role,
        "holder": key.holder.username,
        "site": key.site.code,
        "unit": unit,
        "storage_kind": key.storage_kind,
        "storage_model": key.storage_model,
        "encryption": key.encryption,
        "curve": key.curve,
        "public_key": key.public_key,
        "share_of": key.share_of,
    }


@router.get("/wallets", response={200: list[WalletOut]}, auth=authenticated("keys:read"))
def list_wallets(request: HttpRequest) -> list[dict[str, Any]]:
    """Every wallet of the key inventory."""
    return [_wallet(w) for w in Wallet.objects.all()]


@router.get(
    "/wallets/{wallet_id}",
    response={200: WalletDetailOut, **refusals(404, 422)},
    auth=authenticated("keys:read"),
)
def wallet_detail(request: HttpRequest, wallet_id: int) -> dict[str, Any]:
    """One wallet: its keys and shares, backups and each check's result."""
    wallet = get_object_or_404(Wallet, pk=wallet_id)
    keys = list(wallet.keys.select_related("holder__department", "site", "unit"))
    return {
        **_wallet(wallet),
        "key_material": [_key(k) for k in keys],
        "backups": [
            {"label": b.label, "key": k.label, "site": b.site.code, "holder": b.holder.username}
            for k in keys
            for b in k.backups.select_related("site", "holder")
        ],
        "results": [
            {
                "code": r.code,
                "holds": r.holds,
                "article": r.article,
                "conflicts": r.conflicts,
                "said": services.shown(r),
                "checked_at": r.checked_at.isoformat(),
            }
            for r in wallet.results.all()
        ],
    }


def _found(model: Any, field: str, value: str, name: str) -> Any:
    found = model.objects.filter(**{field: value}).first()
    if found is None:
        raise Refused(
            f"unknown_{name}",
            _("%(what)s %(value)s is unknown") % {"what": name, "value": value},
            fields=[(name, _("unknown"))],
        )
    return found


@router.post(
    "/keys", response={201: KeyOut, **refusals(409, 422)}, auth=authenticated("keys:write")
)
def enter_key(request: HttpRequest, payload: KeyIn) -> Status[dict[str, Any]]:
    """Enter a key or share; refused when it would break a spread rule or holds a secret."""
    services.refuse_secrets(payload.dict())  # before anything is looked up or kept
    by = acting_person(request, "keys.manage")
    if payload.role not in KeyMaterial.Role.values:
        raise Refused("bad_role", _("the role is unknown"), fields=[("role", _("unknown"))])
    if payload.storage_kind not in KeyMaterial.StorageKind.values:
        raise Refused(
            "bad_storage", _("the storage is unknown"), fields=[("storage_kind", _("unknown"))]
        )
    if KeyMaterial.objects.filter(label=payload.label).exists():
        raise Refused("duplicate_label", _("a key with this label exists"), status=409)
    key = KeyMaterial(
        wallet=_found(Wallet, "name", payload.wallet, "wallet"),
        label=payload.label,
        role=payload.role,
        holder=_found(User, "username", payload.holder, "holder"),
        site=_found(Site, "code", payload.site, "site"),
        unit=_found(Department, "code", payload.unit, "unit") if payload.unit else None,
        storage_kind=payload.storage_kind,
        storage_model=payload.storage_model,
        encryption=payload.encryption,
        curve=payload.curve,
        public_key=payload.public_key,
        share_of=payload.share_of,
    )
    services.save_key(key, None, by)
    return Status(201, _key(key))


from mamori.keys import api_ceremonies as _api_ceremonies  # noqa: E402, F401  (issue 26)


class LeakOut(Schema):
    """Where leak response stands (ISM 30): the runbook and compensation policy in force,
    the runbook's revision flag, the last drill, the next drill's due date and what fails."""

    measured: bool
    failing: list[str]
    runbook_version: int | None
    runbook_wallets: list[str]
    runbook_steps: list[dict[str, Any]]
    revision_required_since: str | None
    revision_reasons: list[dict[str, str]]
    compensation_version: int | None
    last_drill: str | None
    drill_due: str


class FlagIn(Schema):
    """A change to a custody system that calls for revising the runbook (ISM 30-2)."""

    reason: str
    what: str


@router.get("/leak", response={200: LeakOut}, auth=authenticated("keys:read"))
def leak_state(request: HttpRequest) -> dict[str, Any]:
    """Leak response (ISM 30): the approved runbook and policy, the flag, the drills."""
    from mamori.keys import leak
    from mamori.keys.models import ResponseDocument

    found = leak.state()
    runbook = leak.approved("runbook")
    compensation = leak.approved("compensation")
    document = ResponseDocument.objects.filter(kind="runbook").first()
    last = leak.last_drill()
    since = document.revision_required_since if document else None
    return {
        "measured": found.measured,
        "failing": [p[0] for p in found.problems],
        "runbook_version": runbook.number if runbook else None,
        "runbook_wallets": sorted(w.name for w in runbook.wallets.all()) if runbook else [],
        "runbook_steps": runbook.steps if runbook else [],
        "revision_required_since": since.isoformat() if since else None,
        "revision_reasons": document.revision_reasons if document else [],
        "compensation_version": compensation.number if compensation else None,
        "last_drill": last.held_on.isoformat() if last and last.held_on else None,
        "drill_due": leak.drill_due_on().isoformat(),
    }


@router.post(
    "/leak/flag", response={201: LeakOut, **refusals(422)}, auth=authenticated("keys:write")
)
def flag_revision(request: HttpRequest, payload: FlagIn) -> Status[dict[str, Any]]:
    """Flag the runbook for revision after a custody-system change made outside mamori (a
    signing system registered, an HSM replaced) (ISM 30-2)."""
    from mamori.keys import leak

    acting_person(request, "keys.manage")
    services.refuse_secrets(payload.dict())
    if not payload.reason.strip() or not payload.what.strip():
        raise Refused(
            "incomplete",
            _("say what changed and why"),
            fields=[("reason", _("required")), ("what", _("required"))],
        )
    leak.flag_runbook_revision(payload.reason.strip(), payload.what.strip())
    return Status(201, leak_state(request))


from mamori.keys import api_entitlements  # noqa: E402,F401  (the key-holder systems, ISM 31)
