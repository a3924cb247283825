"""Forms of guard (SRM 10-2, 10-6-3)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.guard.models import Function, Notice, ServiceState


class BlockForm(forms.Form):
    """Addresses to block, one per line, with a reason (each line may carry its own)."""

    rows = forms.CharField(
        label=_("Addresses or networks, one per line (optionally followed by a reason)"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=100_000,
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    expires_at = forms.DateTimeField(
        label=_("Expires at (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class ReasonForm(forms.Form):
    """Why (lifting a block, asking to switch a function back on)."""

    reason = forms.CharField(label=_("Reason"), max_length=300)


class StopForm(forms.Form):
    """Stop a function in whole or in part."""

    function = forms.ModelChoiceField(Function.objects.all(), label=_("Function"))
    state = forms.ChoiceField(
        label=_("State"),
        choices=[(Function.State.OFF, _("off")), (Function.State.DEGRADED, _("degraded"))],
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)


class HaltForm(forms.Form):
    """Halt an asset's withdrawals."""

    asset = forms.CharField(label=_("Asset"), max_length=20)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class NoticeForm(forms.Form):
    """A notice in both languages, the services it concerns and their state."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Notice.Kind.choices)
    title_ja = forms.CharField(label=_("Title (Japanese)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    body_ja = forms.CharField(label=_("Text (Japanese)"), widget=forms.Textarea, max_length=20_000)
    body_en = forms.CharField(label=_("Text (English)"), widget=forms.Textarea, max_length=20_000)
    services = forms.ModelMultipleChoiceField(
        Function.objects.all(),
        label=_("Affected services"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    state = forms.ChoiceField(label=_("Their state"), choices=ServiceState.choices)
    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class UpdateForm(forms.Form):
    """An update of a published notice."""

    text_ja = forms.CharField(label=_("Text (Japanese)"), widget=forms.Textarea, max_length=20_000)
    text_en = forms.CharField(label=_("Text (English)"), widget=forms.Textarea, max_length=20_000)
    resolves = forms.BooleanField(label=_("Resolved"), required=False)
