"""The form of a wallet's signing policy (ISM 29-1-4): what the pre-sign check reads."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mamori.engines.presign.common import evm_address
from mamori.keys.models import SigningPolicy

__all__ = ["SigningPolicyForm"]

SAFE_VERSIONS = [("1.4.1", "1.4.1"), ("1.3.0", "1.3.0"), ("1.2.0", "1.2.0"), ("1.1.1", "1.1.1")]


def _addresses(text: str, field: str) -> list[str]:
    found, bad = [], []
    for line in text.split():
        address = evm_address(line.strip().rstrip(","))
        if address is None:
            bad.append(line)
        else:
            found.append(address)
    if bad:
        raise forms.ValidationError(
            _("%(field)s: not EVM addresses (0x and 40 hex digits): %(bad)s")
            % {"field": field, "bad": ", ".join(bad)}
        )
    return sorted(set(found))


class SigningPolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    """Network or chain id, fee limits, the Safe and its delegatecall targets, hours to sign."""

    delegatecall_lines = forms.CharField(
        label=gettext_lazy("delegatecall targets allowed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10000,
        help_text=gettext_lazy(
            "one address a line; empty: no delegatecall is ever signed (Bybit's loss came "
            "through one)"
        ),
    )
    multisend_lines = forms.CharField(
        label=gettext_lazy("MultiSend contracts"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=10000,
        help_text=gettext_lazy("one address a line; each nested call is checked"),
    )
    safe_version = forms.ChoiceField(label=gettext_lazy("Safe version"), choices=SAFE_VERSIONS)

    class Meta:
        model = SigningPolicy
        fields = [
            "network",
            "chain_id",
            "max_fee",
            "max_fee_rate",
            "safe_address",
            "safe_version",
            "intent_hours",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        policy = self.instance
        self.fields["delegatecall_lines"].initial = "\n".join(policy.delegatecall_allowlist)
        self.fields["multisend_lines"].initial = "\n".join(policy.multisend)

    def clean_safe_address(self) -> str:
        """An EVM address, or empty."""
        text = str(self.cleaned_data.get("safe_address") or "").strip()
        if text and evm_address(text) is None:
            raise forms.ValidationError(_("not an EVM address (0x and 40 hex digits)"))
        return text

    def clean_intent_hours(self) -> int:
        """Between 1 hour and 7 days."""
        hours = int(self.cleaned_data["intent_hours"])
        if not 1 <= hours <= 168:
            raise forms.ValidationError(_("between 1 and 168 hours"))
        return hours

    def clean(self) -> dict[str, Any]:
        """A Safe needs the chain id; the lists are addresses."""
        data = super().clean() or {}
        if data.get("safe_address") and not data.get("chain_id"):
            self.add_error("chain_id", _("a Safe needs the EVM chain id (its hash holds it)"))
        try:
            data["delegatecall"] = _addresses(
                data.get("delegatecall_lines", ""), _("delegatecall targets")
            )
        except forms.ValidationError as error:
            self.add_error("delegatecall_lines", error)
        try:
            data["multisend"] = _addresses(data.get("multisend_lines", ""), "MultiSend")
        except forms.ValidationError as error:
            self.add_error("multisend_lines", error)
        return data

    def save(self, commit: bool = True) -> SigningPolicy:
        """Keep the lists with the fields."""
        policy: SigningPolicy = super().save(commit=False)
        policy.delegatecall_allowlist = self.cleaned_data.get("delegatecall", [])
        policy.multisend = self.cleaned_data.get("multisend", [])
        if commit:
            policy.save()
        return policy
