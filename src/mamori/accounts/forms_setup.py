"""Forms of the set-up pages: organisation, departments, people, invitations, import."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import Department, User

__all__ = [
    "DepartmentForm",
    "ImportForm",
    "InvitationCodeForm",
    "OrganisationForm",
    "PersonForm",
]


class OrganisationForm(forms.Form):
    """The organisation's name in Japanese and English."""

    name_ja = forms.CharField(label=_("Name (Japanese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)


class DepartmentForm(forms.Form):
    """A department: code (fixed once made), names, parent."""

    code = forms.CharField(
        label=_("Code"),
        max_length=50,
        help_text=_("Lower-case letters, digits, - and _; it cannot be changed later."),
    )
    name_ja = forms.CharField(label=_("Name (Japanese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    parent = forms.ModelChoiceField(
        label=_("Parent department"),
        queryset=Department.objects.all(),
        required=False,
        to_field_name="code",
    )

    def __init__(self, *args: Any, editing: Department | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing is not None:
            self.fields["code"].disabled = True
            self.fields["code"].required = False
            self.fields["parent"].queryset = Department.objects.exclude(  # type: ignore[attr-defined]
                pk=editing.pk
            )


class PersonForm(forms.Form):
    """A person: user name (new people only), display name, e-mail, department, manager."""

    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        help_text=_("Used to sign in; it cannot be changed later."),
    )
    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), max_length=254)
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.all(),
        required=False,
        to_field_name="code",
    )
    manager = forms.ModelChoiceField(
        label=_("Manager"),
        queryset=User.objects.filter(is_active=True),
        required=False,
        to_field_name="username",
        help_text=_("Who confirms this person's access in access reviews."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Follow the browser")), *User.Language.choices],
        required=False,
    )

    def __init__(self, *args: Any, editing: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing is not None:
            self.fields["username"].disabled = True
            self.fields["username"].required = False
            self.fields["manager"].queryset = User.objects.filter(  # type: ignore[attr-defined]
                is_active=True
            ).exclude(pk=editing.pk)


class InvitationCodeForm(forms.Form):
    """The user name and the one-time invitation code."""

    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    code = forms.CharField(
        label=_("Invitation code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ImportForm(forms.Form):
    """An Excel workbook or a CSV file of departments and people."""

    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        help_text=_(
            "Excel: a sheet 'departments' and/or a sheet 'people'. CSV: one of the two tables, "
            "known by its header."
        ),
    )
