"""Forms of the custody pages, validated at the edge."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.custody.models import ThresholdRule


class ThresholdForm(forms.ModelForm):  # type: ignore[type-arg]
    """A threshold: exactly one of a base-unit or a JPY limit; a window unless single."""

    class Meta:
        model = ThresholdRule
        fields = (
            "code",
            "direction",
            "scope",
            "level",
            "asset",
            "limit_units",
            "limit_jpy",
            "window_seconds",
            "halt_scope",
        )

    def clean(self) -> dict[str, Any]:
        """Refuse a limit in both or neither unit, and a window on a single-instruction rule."""
        data = super().clean() or {}
        units, jpy = data.get("limit_units"), data.get("limit_jpy")
        if (units is None) == (jpy is None):
            raise forms.ValidationError(_("Give the limit either in base units or in JPY."))
        if units is not None and data.get("asset") is None:
            raise forms.ValidationError(_("A limit in base units needs an asset."))
        if data.get("scope") == "single" and data.get("window_seconds"):
            raise forms.ValidationError(_("A single-instruction threshold has no window."))
        if data.get("scope") != "single" and not data.get("window_seconds"):
            raise forms.ValidationError(_("This threshold needs a window in seconds."))
        return data


class AssetForm(forms.Form):
    """A new asset (checked whole by :func:`mamori.custody.services.setup.add_asset`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "asset-%s")  # one page holds several forms: unique ids
        super().__init__(*args, **kwargs)

    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("e.g. BTC, ETH, USDC"))
    name = forms.CharField(label=_("Name"), max_length=100)
    chain = forms.CharField(label=_("Chain"), max_length=40, help_text=_("e.g. bitcoin, ethereum"))
    decimals = forms.IntegerField(label=_("Decimals"), min_value=0, max_value=30)
    contract = forms.CharField(
        label=_("Token contract"),
        max_length=100,
        required=False,
        help_text=_("Token contract address (ERC-20); empty for the chain's native asset."),
    )
    responsible = forms.CharField(
        label=_("Responsible person (user name)"), max_length=150, required=False
    )
    unknown_address = forms.ChoiceField(
        label=_("Withdrawal to an address not on the allowlist"),
        choices=[
            ("hold", _("hold for approval")),
            ("reject", _("reject")),
            ("allow", _("allow (allowlist not enforced)")),
        ],
    )


class WalletForm(forms.Form):
    """A new wallet (checked whole by :func:`mamori.custody.services.setup.add_wallet`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "wallet-%s")  # one page holds several forms: unique ids
        super().__init__(*args, **kwargs)

    name = forms.CharField(label=_("Name"), max_length=100)
    asset = forms.CharField(label=_("Asset"), max_length=20)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("hot", _("hot")), ("warm", _("warm")), ("cold", _("cold"))]
    )
    address = forms.CharField(label=_("Address"), max_length=200)
    m = forms.IntegerField(label=_("Signatures needed (m)"), min_value=1, max_value=20, initial=1)
    n = forms.IntegerField(label=_("Key holders (n)"), min_value=1, max_value=20, initial=1)
    site = forms.CharField(label=_("Site"), max_length=100, required=False)
    custodian = forms.CharField(label=_("Custodian"), max_length=100, required=False)


class WalletImportForm(forms.Form):
    """A CSV or Excel file of wallets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "wallets-file-%s")  # one page holds several forms: unique ids
        super().__init__(*args, **kwargs)

    file = forms.FileField(label=_("Wallets (.csv or .xlsx)"))


class CapForm(forms.Form):
    """An asset's hot-wallet cap policy, set or changed through two approvals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "cap-%s")  # one page holds several forms: unique ids
        super().__init__(*args, **kwargs)

    asset = forms.CharField(max_length=20, widget=forms.HiddenInput)
    k = forms.DecimalField(label=_("k"), min_value=0, max_digits=6, decimal_places=3)
    expected_units = forms.RegexField(
        label=_("Expected outflow per 24 hours (base units)"),
        regex=r"^[0-9]{1,40}$",
        required=False,
        help_text=_("Empty: learned from history."),
    )
    percentile = forms.IntegerField(label=_("Percentile"), min_value=50, max_value=100, initial=99)
    max_share = forms.DecimalField(
        label=_("Largest share of one wallet"), min_value=0, max_value=1, decimal_places=3
    )


class LimitForm(forms.Form):
    """A threshold's new limit, through two approvals."""

    rule = forms.IntegerField(widget=forms.HiddenInput)
    limit_units = forms.RegexField(
        label=_("Limit (base units)"), regex=r"^[0-9]{1,40}$", required=False
    )
    limit_jpy = forms.DecimalField(
        label=_("Limit (JPY)"), min_value=0, max_digits=30, decimal_places=6, required=False
    )
