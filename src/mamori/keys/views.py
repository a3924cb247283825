"""Key inventory pages: wallets, a wallet's keys, backups and rule results, key entry, the
ceremony output check (ISM 28, 29-1-5/6)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.tables import downloaded, listing
from mamori.keys import ceremony, forms, services
from mamori.keys.lists import WalletTable
from mamori.keys.models import KeyMaterial, Wallet


@permission_required("keys.view")
def wallets_view(request: HttpRequest) -> HttpResponse:
    """List the wallets with their schemes and how many checks each violates."""
    found = listing(request, Wallet.objects.all(), WalletTable)
    if download := downloaded(found):
        return download
    return render(
        request,
        "keys/wallets.html",
        {"wallets": found, "can_manage": has_permission(request.user, "keys.manage")},
    )


@permission_required("keys.view")
def wallet_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a wallet: its keys and shares, backups, and per check whether it holds."""
    wallet = get_object_or_404(Wallet.objects.select_related("responsible"), pk=pk)
    keys = wallet.keys.select_related("holder__department", "site", "unit", "generation")
    results = [(r, services.shown(r)) for r in wallet.results.order_by("holds", "code")]
    return render(
        request,
        "keys/wallet.html",
        {
            "wallet": wallet,
            "keys": keys,
            "backups": [b for k in keys for b in k.backups.select_related("site", "holder")],
            "results": results,
            "can_manage": has_permission(request.user, "keys.manage"),
        },
    )


@permission_required("keys.manage")
def key_new_view(request: HttpRequest) -> HttpResponse:
    """Enter a key or share; refused, with the reasons, when it would break a spread rule or
    holds what looks like a secret."""
    form = forms.KeyForm(request.POST or None, initial={"wallet": request.GET.get("wallet")})
    if request.method == "POST":
        try:
            services.refuse_secrets(
                {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
            )
        except services.KeyRefused as refused:
            context = {"form": forms.KeyForm(), "refused": refused.shown()}
            return render(request, "keys/key_form.html", context)  # nothing pasted shown again
    if request.method == "POST" and form.is_valid():
        key: KeyMaterial = form.save(commit=False)
        try:
            services.save_key(key, form.generation(), request.user)  # type: ignore[arg-type]
        except services.KeyRefused as refused:
            form.add_error(None, refused.shown())
        else:
            messages.success(request, _("Key %(label)s entered.") % {"label": key.label})
            return redirect("keys:wallet", pk=key.wallet_id)
    return render(request, "keys/key_form.html", {"form": form})


@permission_required("keys.manage")
def ceremony_view(request: HttpRequest) -> HttpResponse:
    """Check a ceremony's public output against the registered addresses; a pasted secret is
    refused before anything else happens, and the form comes back empty."""
    form = forms.CeremonyForm(request.POST or None)
    lines: list[ceremony.Line] = []
    if request.method == "POST":
        pasted = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        try:
            services.refuse_secrets(pasted)
        except services.KeyRefused as refused:
            context = {"form": forms.CeremonyForm(), "lines": lines, "refused": refused.shown()}
            return render(request, "keys/ceremony.html", context)
        if form.is_valid():
            data = form.cleaned_data
            lines = ceremony.verify(
                data["wallet"], data["kind"], data["public_data"], data["addresses"]
            )
    return render(request, "keys/ceremony.html", {"form": form, "lines": lines})


@permission_required("keys.manage")
def check_now_view(request: HttpRequest) -> HttpResponse:
    """Evaluate the whole inventory now."""
    if request.method == "POST":
        services.evaluate(f"checked now by {request.user.get_username()}")
        messages.success(request, _("The key inventory was checked."))
    return redirect("keys:wallets")
