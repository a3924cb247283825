"""Forms of the quality plans, the secure-coding standard, freeze windows and the deploy gate."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.operations.models import QualityCriterion, System

__all__ = [
    "AskForm",
    "CriterionForm",
    "FreezeForm",
    "OverrideForm",
    "PerformanceForm",
    "ResolveForm",
    "SecurityReviewForm",
    "StandardForm",
]

MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class CriterionForm(forms.Form):
    """One criterion of a system's quality plan (SRM 16)."""

    metric = forms.ChoiceField(label=_("Metric"), choices=QualityCriterion.Metric.choices)
    level = forms.CharField(
        label=_("Severity, level or metric name"),
        required=False,
        max_length=60,
        help_text=_(
            "vulnerabilities: critical, high, medium, low, unknown; static analysis: error, "
            "warning, note, none; performance: the metric's name"
        ),
    )
    threshold = forms.DecimalField(
        label=_("Threshold"), max_digits=14, decimal_places=3, min_value=0, initial=0
    )


class StandardForm(forms.Form):
    """A new version of the secure-coding standard (SRM 18)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("Text (Markdown)"), widget=forms.Textarea(attrs={"rows": 10}))


class FreezeForm(forms.Form):
    """A freeze window: when, why, which systems (or all)."""

    starts_at = forms.DateTimeField(label=_("Starts at"), widget=MOMENT)
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=MOMENT)
    reason = forms.CharField(label=_("Reason"), max_length=300)
    all_systems = forms.BooleanField(label=_("All systems"), required=False)
    systems = forms.ModelMultipleChoiceField(
        label=_("Systems"), queryset=System.objects.none(), required=False
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["systems"].queryset = System.objects.order_by("code")  # type: ignore[attr-defined]


class AskForm(forms.Form):
    """The artifact digest to ask the gate about."""

    artifact_digest = forms.CharField(label=_("Artifact digest"), max_length=100)


class OverrideForm(forms.Form):
    """An override of the gate for one digest, with its reason (approved by others)."""

    artifact_digest = forms.CharField(label=_("Artifact digest"), max_length=100)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class SecurityReviewForm(forms.Form):
    """A security review of a change, by someone other than its responsible person."""

    notes = forms.CharField(
        label=_("What was reviewed and found"), widget=forms.Textarea(attrs={"rows": 3})
    )


class PerformanceForm(forms.Form):
    """A performance measurement of a build, recorded by hand (SRM 19-1)."""

    artifact_digest = forms.CharField(label=_("Artifact digest"), max_length=100)
    metric = forms.CharField(label=_("Metric"), max_length=60)
    value = forms.DecimalField(label=_("Measured value"), max_digits=14, decimal_places=3)


class ResolveForm(forms.Form):
    """How a finding was resolved."""

    resolution = forms.CharField(label=_("Resolution"), max_length=2000)
