"""Pages editing the key inventory (ISM 28): sites (and closing one), wallets, keys, backups
and spread rules. Each save goes through :mod:`mamori.keys.editing`: re-evaluated, a new entry
breaking a spread rule refused with the conflict named, a custody-system change flagging the
leak-response runbook (ISM 30-2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from mamori.accounts.models import User
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.keys import editing, forms_edit, services
from mamori.keys.models import Backup, KeyMaterial, Site, SpreadRule, Wallet


def _form_page(
    request: HttpRequest,
    form: BaseForm,
    title: str,
    record: Any,
    save: Callable[[Any, User], Any],
    done: Callable[[Any], HttpResponse],
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """Show ``form``; on a valid POST save through ``save``: a refusal comes back on the
    form with nothing written."""
    if request.method == "POST" and form.is_valid():
        instance = form.save(commit=False)  # type: ignore[attr-defined]
        try:
            saved = save(instance, request.user)  # type: ignore[arg-type]
        except services.KeyRefused as refused:
            form.add_error(None, refused.shown())
        else:
            messages.success(request, _("Saved."))
            return done(saved)
    context = {"form": form, "title": title, "record": record, **(extra or {})}
    return render(request, "keys/edit_form.html", context)


@permission_required("keys.view")
def sites_view(request: HttpRequest) -> HttpResponse:
    """List the sites, open and closed, with what each keeps."""
    sites = Site.objects.select_related("closure").prefetch_related("keys", "backups")
    return render(
        request,
        "keys/sites.html",
        {"sites": sites, "can_manage": has_permission(request.user, "keys.manage")},
    )


@permission_required("keys.manage")
def site_edit_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or rename a site."""
    site = get_object_or_404(Site, pk=pk) if pk else None
    form = forms_edit.SiteForm(request.POST or None, instance=site)
    title = _("Edit site %(site)s") % {"site": site.code} if site else _("New site")
    return _form_page(
        request, form, title, site, editing.save_site, lambda s: redirect("keys:sites")
    )


@permission_required("keys.manage")
def site_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a site: refused while keys or backups are kept there (named)."""
    site = get_object_or_404(Site, pk=pk)
    form = forms_edit.SiteCloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            editing.close_site(
                site,
                form.cleaned_data["closed_on"],
                form.cleaned_data["reason"],
                request.user,  # type: ignore[arg-type]
            )
        except services.KeyRefused as refused:
            form.add_error(None, refused.shown())
        else:
            messages.success(request, _("Site %(site)s closed.") % {"site": site.code})
            return redirect("keys:sites")
    title = _("Close site %(site)s") % {"site": site.code}
    return render(request, "keys/edit_form.html", {"form": form, "title": title, "record": site})


@permission_required("keys.manage")
def wallet_edit_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or change a wallet."""
    wallet = get_object_or_404(Wallet, pk=pk) if pk else None
    form = forms_edit.WalletForm(request.POST or None, instance=wallet)
    title = _("Edit wallet %(wallet)s") % {"wallet": wallet.name} if wallet else _("New wallet")
    return _form_page(
        request,
        form,
        title,
        wallet,
        editing.save_wallet,
        lambda w: redirect("keys:wallet", pk=w.pk),
    )


@permission_required("keys.manage")
def key_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a key (move it, change its holder or storage) or remove it."""
    key = get_object_or_404(KeyMaterial, pk=pk)
    if request.method == "POST" and "remove" in request.POST:
        wallet = key.wallet_id
        try:
            editing.remove_key(key, request.user)  # type: ignore[arg-type]
        except services.KeyRefused as refused:
            messages.error(request, refused.shown())
            return redirect("keys:key_edit", pk=pk)
        messages.success(request, _("Key removed."))
        return redirect("keys:wallet", pk=wallet)
    form = forms_edit.KeyEditForm(request.POST or None, instance=key)
    return _form_page(
        request,
        form,
        _("Edit key %(key)s") % {"key": key.label},
        key,
        editing.save_edited_key,
        lambda k: redirect("keys:wallet", pk=k.wallet_id),
        {"removable": True},
    )


@permission_required("keys.manage")
def backup_edit_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Enter or change a backup; a new one breaking a spread rule is refused."""
    backup = get_object_or_404(Backup, pk=pk) if pk else None
    initial = {"key": request.GET.get("key")} if not backup else None
    form = forms_edit.BackupForm(request.POST or None, instance=backup, initial=initial)
    title = _("Edit backup %(backup)s") % {"backup": backup.label} if backup else _("New backup")
    return _form_page(
        request,
        form,
        title,
        backup,
        editing.save_backup,
        lambda b: redirect("keys:wallet", pk=b.key.wallet_id),
    )


@permission_required("keys.view")
def rules_view(request: HttpRequest) -> HttpResponse:
    """List the spread rules, active and inactive."""
    return render(
        request,
        "keys/rules.html",
        {
            "rules": SpreadRule.objects.all(),
            "can_manage": has_permission(request.user, "keys.manage"),
        },
    )


@permission_required("keys.manage")
def rule_edit_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or change a spread rule as data (activate, deactivate, edit its lists)."""
    rule = get_object_or_404(SpreadRule, pk=pk) if pk else None
    form = forms_edit.RuleForm(request.POST or None, instance=rule)
    title = _("Edit spread rule %(rule)s") % {"rule": rule.code} if rule else _("New spread rule")
    return _form_page(
        request, form, title, rule, editing.save_rule, lambda r: redirect("keys:rules")
    )
