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
