"""The operations settings page (SRM 12-5, 21-2, 9): the values the controls measure against,
the proposals waiting, and for systems managers a form per setting; a proposal takes effect
once two officers approve (:mod:`mamori.operations.services.operations_settings`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import modelform_factory
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.errors import Refused
from mamori.operations.services import operations_settings as service

__all__ = ["proposed", "settings_view"]

MANAGE = "systems.manage"


def _form(editable: service.Editable, data: Any = None) -> forms.ModelForm:  # type: ignore[type-arg]
    form_class = modelform_factory(editable.model, fields=list(editable.fields))
    return form_class(data, prefix=editable.code, initial=service.current(editable.code))


def proposed(request: HttpRequest, request_id: int, to: str) -> HttpResponse:
    """Say that a proposal waits for two officers (request ``request_id``); go back to ``to``."""
    messages.info(
        request,
        _("Proposed: it takes effect once two officers approve (request #%(id)s).")
        % {"id": request_id},
    )
    return redirect(to)


@permission_required("changes.view")
def settings_view(request: HttpRequest) -> HttpResponse:
    """Each setting with its values in force and, for managers, the form to propose others."""
    can_manage = has_permission(request.user, MANAGE)
    bound: dict[str, Any] = {}
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(MANAGE)
        code = request.POST.get("which", "")
        if code in service.EDITABLE:
            form = bound[code] = _form(service.EDITABLE[code], request.POST)
            if form.is_valid():
                values = {name: form.cleaned_data[name] for name in service.EDITABLE[code].fields}
                try:
                    asked = service.propose(code, values, request.user)  # type: ignore[arg-type]
                except Refused as refused:
                    named = [p for p in refused.fields if p.field in form.fields]
                    for problem in named:
                        form.add_error(problem.field, problem.message)
                    if not named:
                        messages.error(request, refused.shown())
                else:
                    return proposed(request, asked.pk, "operations:settings")
    sections = []
    for editable in service.EDITABLE.values():
        values = service.current(editable.code)
        rows = []
        for name in editable.fields:
            field = service.field_of(editable, name)
            value = values[name]
            if isinstance(value, bool):
                shown: Any = _("yes") if value else _("no")
            else:
                shown = dict(field.choices).get(value, value) if field.choices else value
            rows.append((field.verbose_name, shown))
        sections.append(
            {
                "editable": editable,
                "rows": rows,
                "form": (bound.get(editable.code) or _form(editable)) if can_manage else None,
            }
        )
    return render(
        request,
        "operations/settings.html",
        {"sections": sections, "pending": service.pending(), "can_manage": can_manage},
    )
