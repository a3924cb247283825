"""Forms of the accounts pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _

from mamori.accounts.services.tokens import MAX_LIFETIME_DAYS
from mamori.core.scopes import scope_descriptions


class LoginForm(forms.Form):
    """User name and password."""

    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordForm(SetPasswordForm):  # type: ignore[type-arg]
    """The current password, then the new one twice (checked by Django's validators)."""

    current_password = forms.CharField(
        label=_("Current password"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    field_order = ["current_password", "new_password1", "new_password2"]


class CodeForm(forms.Form):
    """A six-digit authenticator code or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class TokenForm(forms.Form):
    """A new API token: name, scopes and lifetime."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Which service uses it, e.g. withdrawal gateway."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Grant only what the service calls."),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=MAX_LIFETIME_DAYS,
        initial=90,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [  # type: ignore[attr-defined]
            (name, f"{name} — {description}") for name, description in scope_descriptions()
        ]
