"""Forms of the reconciliation pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.reconciliation.models import Case


class BookForm(forms.Form):
    """Upload of the exchange's book."""

    file = forms.FileField(label=_("Book (.csv or .parquet)"))


class CauseForm(forms.Form):
    """The cause found and what it links to."""

    cause = forms.ChoiceField(label=_("Cause"), choices=Case.Cause.choices)
    fix_reference = forms.CharField(
        label=_("Fix (change record)"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"list": "change-references"}),
        help_text=_("a change's reference, e.g. CHG-2026-001: the case then links to it"),
    )
    incident_reference = forms.CharField(label=_("Incident"), required=False, max_length=300)


class ActionForm(forms.Form):
    """An action taken."""

    text = forms.CharField(label=_("Action taken"), widget=forms.Textarea(attrs={"rows": 2}))


class OwnerForm(forms.Form):
    """Who owns the case — someone who may work cases (``reconciliation.manage``) — and why."""

    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from mamori.accounts.services.roles import people_with

        self.fields["owner"].queryset = people_with("reconciliation.manage")  # type: ignore[attr-defined]


class CloseForm(forms.Form):
    """How the case was resolved (goes to approval)."""

    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 2}))


class NodeForm(forms.Form):
    """The node of one chain (its URL checked by
    :func:`mamori.reconciliation.services.nodes.set_node`)."""

    chain = forms.CharField(
        label=_("Chain"),
        max_length=40,
        help_text=_("The chain name the assets use (e.g. ethereum, bitcoin)."),
    )
    family = forms.ChoiceField(
        label=_("Kind of node"),
        choices=[
            ("evm", _("Ethereum / EVM (JSON-RPC)")),
            ("bitcoin", _("Bitcoin Core (JSON-RPC)")),
        ],
    )
    url = forms.CharField(
        label=_("URL"),
        max_length=300,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted; shown with its password and keys masked."),
    )
    confirmations = forms.IntegerField(
        label=_("Confirmations"), min_value=0, max_value=1000, initial=0
    )
