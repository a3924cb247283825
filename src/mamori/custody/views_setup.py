"""The custody set-up page: assets, wallets (one by one or from a file) and cap policies,
whose creation and every change go through two approvals (ISM 27-1, 28-2)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services.approvals import ApprovalRefused
from mamori.accounts.views.access import permission_required
from mamori.custody import forms
from mamori.custody.models import Asset, CapPolicy, Wallet
from mamori.custody.services import limits, setup

__all__ = ["setup_view"]

_MAX_FILE = 5 * 1024 * 1024


def _create(
    request: HttpRequest, bound: dict[str, Any], key: str, form: Any, make: Any, said: str
) -> bool:
    """Validate ``form``, create with ``make`` (a set-up service taking the cleaned data)
    and say ``said`` about the result; a refusal is shown with the form."""
    bound[key] = form
    if not form.is_valid():
        return False
    try:
        made = make(form.cleaned_data)
    except setup.SetupRefused as refused:
        form.add_error(None, refused.message)
        return False
    messages.success(request, said % {"name": str(made)})
    return True


def _asset(request: HttpRequest, bound: dict[str, Any]) -> bool:
    return _create(
        request,
        bound,
        "asset_form",
        forms.AssetForm(request.POST),
        lambda data: setup.add_asset(setup.AssetIn(**data)),
        _("Asset %(name)s was created."),
    )


def _wallet(request: HttpRequest, bound: dict[str, Any]) -> bool:
    who: User = request.user  # type: ignore[assignment]  # permission_required: signed in
    return _create(
        request,
        bound,
        "wallet_form",
        forms.WalletForm(request.POST),
        lambda data: setup.request_wallets([setup.WalletIn(**data)], who),
        _("A wallet is registered once two other people approve: request %(name)s was sent."),
    )


def _import(request: HttpRequest, bound: dict[str, Any]) -> bool:
    form = forms.WalletImportForm(request.POST, request.FILES)
    bound["import_form"] = form
    if not form.is_valid():
        return False
    upload = form.cleaned_data["file"]
    if upload.size > _MAX_FILE:
        form.add_error("file", _("At most %(max)s bytes.") % {"max": _MAX_FILE})
        return False
    try:
        wallets = setup.read_wallets(upload.read(), upload.name)
    except setup.SetupRefused as refused:
        for line in refused.lines():
            form.add_error(None, line)
        return False
    who: User = request.user  # type: ignore[assignment]  # permission_required: signed in
    approval = setup.request_wallets(wallets, who)
    messages.success(
        request,
        _("%(count)s wallets are registered once two other people approve: request #%(id)s.")
        % {"count": len(wallets), "id": approval.pk},
    )
    return True


def _cap(request: HttpRequest, bound: dict[str, Any]) -> bool:
    form = forms.CapForm(request.POST)
    bound["cap_form"] = form
    if not form.is_valid():
        return False
    data = form.cleaned_data
    asset = Asset.objects.filter(code=data["asset"]).first()
    if asset is None:
        form.add_error(None, _("unknown asset %(code)r") % {"code": data["asset"]})
        return False
    try:
        terms = limits.CapTerms(
            k=format(data["k"].normalize(), "f"),
            expected_units=data["expected_units"] or None,
            percentile=data["percentile"],
            max_share=format(data["max_share"].normalize(), "f"),
        )
        approval = limits.request_cap(asset, terms, _user(request))
    except ApprovalRefused as refused:
        form.add_error(None, refused.message)
        return False
    except ValueError as exc:  # terms outside the snapshot's schema
        form.add_error(None, str(exc))
        return False
    messages.success(
        request,
        _("The cap policy of %(code)s changes once two people approve: request #%(id)s was sent.")
        % {"code": asset.code, "id": approval.pk},
    )
    return True


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


_ACTIONS = {"asset": _asset, "wallet": _wallet, "import": _import, "cap": _cap}


@permission_required("custody.manage")
def setup_view(request: HttpRequest) -> HttpResponse:
    """Show assets, wallets and cap policies; create an asset or a wallet, import wallets,
    ask for a cap policy (two approvals)."""
    bound: dict[str, Any] = {
        "asset_form": forms.AssetForm(),
        "wallet_form": forms.WalletForm(),
        "import_form": forms.WalletImportForm(),
        "cap_form": forms.CapForm(),
    }
    if request.method == "POST":
        action = _ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            messages.error(request, _("Choose what to set up."))
        elif action(request, bound):
            return redirect("custody:setup")
    pending = {
        str(r.snapshot.get("asset")): r
        for r in ApprovalRequest.objects.filter(
            kind=limits.CAP_KIND, status=ApprovalRequest.Status.PENDING
        )
    }
    policies = {p.asset_id: p for p in CapPolicy.objects.all()}
    assets = [
        (asset, policies.get(asset.pk), pending.get(asset.code))
        for asset in Asset.objects.select_related("responsible")
    ]
    return render(
        request,
        "custody/setup.html",
        {
            **bound,
            "assets": assets,
            "wallets": Wallet.objects.select_related("asset"),
            "columns": ", ".join(setup.WALLET_COLUMNS),
        },
    )
