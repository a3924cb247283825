"""Forms of reporting obligations: marking a report sent, waiving it, editing its text, and the
rules kept as data (SRM 6-1-3, 7-3; ISM 8-1-3, 9-3)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.operations.models import Incident, ObligationRule

__all__ = ["DraftForm", "RuleForm", "SentForm", "WaiveForm"]


class SentForm(forms.Form):
    """Who sent the report, when, through which channel, under which reference. The sender
    and the time are checked by the service, which refuses without them."""

    sent_by = forms.ModelChoiceField(
        label=_("sent by"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
    )
    sent_at = forms.DateTimeField(
        label=_("sent at"),
        required=False,
        widget=forms.DateTimeInput(format="%Y-%m-%dT%H:%M", attrs={"type": "datetime-local"}),
    )
    channel = forms.CharField(
        label=_("channel"),
        max_length=100,
        required=False,
    )
    reference = forms.CharField(
        label=_("submission reference"),
        max_length=200,
        required=False,
    )


class WaiveForm(forms.Form):
    """Why the report is not needed."""

    reason = forms.CharField(
        label=_("reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class DraftForm(forms.Form):
    """The text of the report, edited before it is sent."""

    text = forms.CharField(
        label=_("report text"),
        widget=forms.Textarea(attrs={"rows": 30}),
    )


class RuleForm(forms.ModelForm):  # type: ignore[type-arg]
    """A reporting rule."""

    kinds = forms.MultipleChoiceField(
        label=_("kinds (none: every kind)"),
        choices=Incident.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ObligationRule
        fields = [
            "code",
            "name",
            "kinds",
            "min_severity",
            "personal_data_required",
            "unauthorised_access",
            "recipient",
            "stage",
            "due_unit",
            "due_amount",
            "roll_to_business_day",
            "active",
            "basis",
        ]

    def clean_kinds(self) -> list[Any]:
        """Keep the kinds as a sorted list."""
        return sorted(self.cleaned_data.get("kinds") or [])
