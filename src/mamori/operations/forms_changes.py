"""Forms of the systems register, the development plan and changes (SRM 4-6, 8-3, 11, 20, 22)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.operations.models import AcceptanceInspection, Change, System

__all__ = [
    "ChangeForm",
    "DevPlanVersionForm",
    "InspectionForm",
    "ReviewSignForm",
    "SystemForm",
]

DATE = forms.DateInput(attrs={"type": "date"})


def _people() -> Any:
    return User.objects.filter(is_active=True).order_by("username")


class SystemForm(forms.ModelForm):  # type: ignore[type-arg]
    """A system or service of the register (SRM 7-2, 12)."""

    class Meta:
        model = System
        fields = [
            "code",
            "name_ja",
            "name_en",
            "description",
            "department",
            "system_manager",
            "criticality",
            "lifecycle",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class DevPlanVersionForm(forms.Form):
    """A new version of the development plan (SRM 4-6, 11-2)."""

    starts_on = forms.DateField(label=_("Plan period from"), widget=DATE)
    ends_on = forms.DateField(label=_("Plan period to"), widget=DATE)
    strategy = forms.CharField(
        label=_("System strategy it serves"), widget=forms.Textarea(attrs={"rows": 3})
    )
    strategy_url = forms.URLField(
        label=_("Link to the strategy"), required=False, assume_scheme="https"
    )
    projects = forms.CharField(
        label=_("Projects"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "one a line: name | responsible username | system code | budget yen | from | to"
        ),
    )


class ChangeForm(forms.Form):
    """A new change with its planned dates per stage and, for a new or changed service, its
    two participants (SRM 8-3, 11-4)."""

    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Change.Kind.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Change.Category.choices)
    responsible = forms.ModelChoiceField(
        label=_("Responsible person"), queryset=User.objects.none()
    )
    systems = forms.ModelMultipleChoiceField(
        label=_("Systems touched"), queryset=System.objects.none()
    )
    user_participant = forms.ModelChoiceField(
        label=_("User-department participant (SRM 8-3)"),
        queryset=User.objects.none(),
        required=False,
    )
    risk_participant = forms.ModelChoiceField(
        label=_("Risk-management participant (SRM 8-3)"),
        queryset=User.objects.none(),
        required=False,
    )
    planned_design = forms.DateField(label=_("Design planned on"), widget=DATE, required=False)
    planned_build = forms.DateField(label=_("Build planned on"), widget=DATE, required=False)
    planned_test = forms.DateField(label=_("Test planned on"), widget=DATE, required=False)
    planned_acceptance = forms.DateField(
        label=_("Acceptance planned on"), widget=DATE, required=False
    )
    planned_release = forms.DateField(label=_("Release planned on"), widget=DATE, required=False)
    planned_review = forms.DateField(
        label=_("Post-change review planned on"), widget=DATE, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("responsible", "user_participant", "risk_participant"):
            self.fields[name].queryset = _people()  # type: ignore[attr-defined]
        self.fields["systems"].queryset = System.objects.exclude(  # type: ignore[attr-defined]
            lifecycle=System.Lifecycle.RETIRED
        )

    def planned(self) -> dict[str, Any]:
        """The planned date per stage."""
        return {
            stage: self.cleaned_data.get(f"planned_{stage}")
            for stage in ("design", "build", "test", "acceptance", "release", "review")
        }


class InspectionForm(forms.Form):
    """The acceptance inspection (SRM 20)."""

    artifact_digest = forms.CharField(label=_("Artifact digest"), max_length=100)
    practical_tests = forms.CharField(
        label=_("Practical tests run"), widget=forms.Textarea(attrs={"rows": 3})
    )
    decision = forms.ChoiceField(label=_("Decision"), choices=AcceptanceInspection.Decision.choices)
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ReviewSignForm(forms.Form):
    """The conclusion of the post-change review, signed (SRM 22)."""

    conclusion = forms.CharField(
        label=_("Conclusion on the quality after the change"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
