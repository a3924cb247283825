"""Forms of the custody pages, validated at the edge."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.custody.models import ThresholdRule

#: What a limit means, on every field that sets one (ISM 27-3 「基準値に達した場合」).
REACHED = _(
    "The threshold applies when the total reaches this amount: a total equal to the limit "
    "is reached (≥)."
)
#: The longest window: the monitor keeps movements this many days.
RETENTION_DAYS = 31


class ThresholdForm(forms.ModelForm):  # type: ignore[type-arg]
    """A threshold: exactly one of a limit in the asset's units, in base units or in JPY
    (above 0, reached when the total equals it); a window unless single, at most the
    monitor's retention; what a halt stops and whether it ends by itself."""

    limit_amount = forms.DecimalField(
        label=_("Limit in the asset's units"),
        required=False,
        min_value=0,
        max_digits=60,
        decimal_places=30,
        help_text=_("e.g. 5 for 5 BTC; or give the limit in base units or in JPY below."),
    )

    class Meta:
        model = ThresholdRule
        fields = (
            "code",
            "direction",
            "scope",
            "level",
            "asset",
            "limit_amount",
            "limit_units",
            "limit_jpy",
            "window_seconds",
            "halt_scope",
            "halt_expiry_minutes",
        )
        labels = {
            "limit_units": _("Limit (base units)"),
            "limit_jpy": _("Limit (JPY)"),
            "window_seconds": _("Window (seconds)"),
            "halt_expiry_minutes": _("A halt ends by itself after (minutes)"),
        }
        help_texts = {
            "halt_scope": _(
                "What a halt by this rule stops. A halt of trading in the asset's markets "
                "stops no withdrawal: withdrawals go on unless another rule halts them."
            ),
            "limit_units": _("satoshi for BTC (1 BTC = 100,000,000), wei for ETH."),
            "window_seconds": _("At most 31 days (2,678,400 seconds): the monitor's retention."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("limit_amount", "limit_units", "limit_jpy"):
            field = self.fields[name]
            field.help_text = f"{REACHED} {field.help_text}".strip()

    def clean(self) -> dict[str, Any]:
        """Refuse a limit in none or several units, a limit of 0, a window on a
        single-instruction rule or longer than the retention; turn a limit in the asset's
        units into base units (exactly: no more decimals than the asset has)."""
        data = super().clean() or {}
        amount, units, jpy = (
            data.get("limit_amount"),
            data.get("limit_units"),
            data.get("limit_jpy"),
        )
        if amount is None and (units is None) == (jpy is None):
            raise forms.ValidationError(_("Give the limit either in base units or in JPY."))
        if sum(value is not None for value in (amount, units, jpy)) != 1:
            raise forms.ValidationError(
                _("Give the limit once: in the asset's units, in base units or in JPY.")
            )
        asset = data.get("asset")
        if (amount is not None or units is not None) and asset is None:
            raise forms.ValidationError(_("A limit in the asset's units needs an asset."))
        if amount is not None and asset is not None:
            scaled = Decimal(amount).scaleb(asset.decimals)
            if scaled != scaled.to_integral_value():
                raise forms.ValidationError(
                    _("%(code)s has %(decimals)s decimals: %(amount)s has more.")
                    % {"code": asset.code, "decimals": asset.decimals, "amount": amount}
                )
            units = data["limit_units"] = int(scaled)
        if (units if units is not None else jpy) == 0:
            raise forms.ValidationError(
                _(
                    "A limit of 0 is reached by every movement: give an amount above 0 (the "
                    "threshold applies when the total reaches it)."
                )
            )
        window = data.get("window_seconds")
        if data.get("scope") == "single" and window:
            raise forms.ValidationError(_("A single-instruction threshold has no window."))
        if data.get("scope") != "single" and not window:
            raise forms.ValidationError(_("This threshold needs a window in seconds."))
        if window and window > RETENTION_DAYS * 86400:
            raise forms.ValidationError(
                _(
                    "A window can be at most %(days)s days: the monitor keeps movements that "
                    "long (got %(seconds)s seconds)."
                )
                % {"days": RETENTION_DAYS, "seconds": window}
            )
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
        label=_("Limit (base units)"), regex=r"^[0-9]{1,40}$", required=False, help_text=REACHED
    )
    limit_jpy = forms.DecimalField(
        label=_("Limit (JPY)"),
        min_value=0,
        max_digits=30,
        decimal_places=6,
        required=False,
        help_text=REACHED,
    )
