"""Forms of the key-holder entitlements (ISM 31): a system, a grant change, its work and
check, an import of the system's accounts, a finding's resolution."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.engines.keys.entitlement_formats import ADAPTERS
from mamori.keys.models import EntitlementChange, KeySystem

#: The largest file of accounts accepted (bytes).
MAX_IMPORT = 5 * 1024 * 1024


class SystemForm(forms.ModelForm):  # type: ignore[type-arg]
    """A system where key holders act: kind, roles (one per line or comma separated), owner,
    wallets, period of reconciliation."""

    roles_text = forms.CharField(
        label=_("roles"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The roles the system has, as it names them: one per line or comma separated."),
    )

    class Meta:
        model = KeySystem
        fields = ["name", "kind", "owner", "wallets", "period_days", "description"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(is_active=True)  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["roles_text"].initial = "\n".join(self.instance.roles)
        self.order_fields(["name", "kind", "roles_text"])

    def clean_roles_text(self) -> list[str]:
        """Split the roles, dropping blanks and repeats."""
        raw = self.cleaned_data["roles_text"].replace(",", "\n")
        roles = list(dict.fromkeys(r.strip() for r in raw.splitlines() if r.strip()))
        if not roles:
            raise forms.ValidationError(_("name at least one role"))
        if any(len(r) > 100 for r in roles):
            raise forms.ValidationError(_("a role is at most 100 characters"))
        return roles

    def save(self, commit: bool = True) -> KeySystem:
        """Keep the roles as data."""
        self.instance.roles = self.cleaned_data["roles_text"]
        return super().save(commit)  # type: ignore[no-any-return]


class ChangeForm(forms.Form):
    """A grant, change (from ``previous role``) or removal of a role for a person."""

    person = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), label=_("person"))
    action = forms.ChoiceField(choices=EntitlementChange.Action.choices, label=_("action"))
    role = forms.CharField(max_length=100, label=_("role"))
    previous_role = forms.CharField(
        max_length=100,
        required=False,
        label=_("previous role"),
        help_text=_("For a change: the role the person holds now."),
    )
    reason = forms.CharField(max_length=300, label=_("reason"))


class DoneForm(forms.Form):
    """What was done in the system."""

    note = forms.CharField(max_length=300, required=False, label=_("what was done"))


class CheckForm(forms.Form):
    """The check of the work: as approved or not, and what was seen."""

    ok = forms.TypedChoiceField(
        choices=[("yes", _("as approved")), ("no", _("not as approved"))],
        coerce=lambda v: v == "yes",
        label=_("result"),
    )
    note = forms.CharField(max_length=300, label=_("what was checked and seen"))


class ImportForm(forms.Form):
    """A file of the system's actual accounts and roles."""

    file_format = forms.ChoiceField(
        choices=[(a.code, a.label) for a in ADAPTERS.values()], label=_("format")
    )
    file = forms.FileField(label=_("file"))

    def clean_file(self) -> Any:
        """Refuse a file larger than :data:`MAX_IMPORT`."""
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT:
            raise forms.ValidationError(_("the file is larger than 5 MB"))
        return upload


class ResolveForm(forms.Form):
    """Why an open finding is closed."""

    reason = forms.CharField(max_length=300, label=_("resolution"))
