"""The one flow of the pages for senders that sign what they post (alert sources, SRM 7-3;
delivery pipelines, SRM 19): make a sender or rotate its secret, shown once, and stop
accepting a sender. Each page names its model, its service and its words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from mamori.operations.forms import AlertSourceForm

__all__ = ["disable", "secret_page"]


def secret_page(
    request: HttpRequest,
    rotate: Callable[..., tuple[Any, str]],
    shown: Callable[[str], str],
    template: str,
    listing: dict[str, Any],
    derived: Callable[[str, str], dict[str, Any]] | None = None,
) -> HttpResponse:
    """Render ``template`` with ``listing`` and the form; a valid post makes the sender or
    rotates its secret with ``rotate(code, name, person)`` and says ``shown(code)`` above the
    secret, shown this once (with what ``derived(code, secret)`` adds, such as keys derived
    from it for other channels)."""
    form = AlertSourceForm(request.POST or None)
    secret = None
    extra: dict[str, Any] = {}
    if request.method == "POST" and form.is_valid():
        sender, secret = rotate(form.cleaned_data["code"], form.cleaned_data["name"], request.user)
        messages.success(request, shown(sender.code))
        form = AlertSourceForm()
        extra = derived(sender.code, secret) if derived else {}
    return render(request, template, {**listing, **extra, "form": form, "secret": secret})


def disable(
    request: HttpRequest, model: type[models.Model], pk: int, said: Callable[[str], str], to: str
) -> HttpResponse:
    """Stop accepting the ``model`` sender ``pk``'s signed posts; say ``said(code)``."""
    sender = get_object_or_404(model, pk=pk)
    sender.active = False  # type: ignore[attr-defined]
    sender.save(update_fields=["active"])
    messages.success(request, said(sender.code))  # type: ignore[attr-defined]
    return redirect(to)
