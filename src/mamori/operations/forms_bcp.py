"""Forms of the contingency plans, drills, post-incident reviews and the CSIRT pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.operations.models import (
    ContingencyPlan,
    CsirtMember,
    ExternalContact,
    PostIncidentReview,
    ReviewRisk,
)

__all__ = [
    "ActionForm",
    "ContactForm",
    "DrillForm",
    "FindingsForm",
    "IntelForm",
    "MemberForm",
    "ReviewForm",
    "RiskForm",
    "VersionForm",
]

DATE = forms.DateInput(attrs={"type": "date"})


def _people() -> Any:
    return User.objects.filter(is_active=True).order_by("username")


class VersionForm(forms.Form):
    """A new version of a contingency plan (SRM 5-2)."""

    text = forms.CharField(label=_("Plan (Markdown)"), widget=forms.Textarea(attrs={"rows": 6}))
    steps = forms.CharField(
        label=_("Steps"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("one a line: target minutes | what to do"),
    )
    contacts = forms.CharField(
        label=_("Contact tree"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("one call a line: caller -> callee | phone"),
    )
    representative_director = forms.ModelChoiceField(
        label=_("Representative director"), queryset=User.objects.none()
    )
    representative_director_role = forms.CharField(
        label=_("The representative director's responsibilities and actions"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    system_general_manager = forms.ModelChoiceField(
        label=_("System general manager"), queryset=User.objects.none()
    )
    system_general_manager_role = forms.CharField(
        label=_("The system general manager's responsibilities and actions"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("representative_director", "system_general_manager"):
            self.fields[name].queryset = _people()  # type: ignore[attr-defined]


class DrillForm(forms.Form):
    """Schedule a drill of a plan with the leaders who must command it (SRM 5-2)."""

    scenario = forms.ChoiceField(label=_("Scenario"), choices=ContingencyPlan.Scenario.choices)
    scheduled_for = forms.DateField(label=_("Date"), widget=DATE)
    leaders = forms.ModelMultipleChoiceField(
        label=_("Leaders who must command"), queryset=User.objects.none()
    )
    participants = forms.ModelMultipleChoiceField(
        label=_("Participants"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("leaders", "participants"):
            self.fields[name].queryset = _people()  # type: ignore[attr-defined]


class FindingsForm(forms.Form):
    """The findings recorded when a drill finishes."""

    findings = forms.CharField(
        label=_("Findings"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ActionForm(forms.Form):
    """A follow-up action: what, who, by when."""

    title = forms.CharField(label=_("Action"), max_length=300)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    due_on = forms.DateField(label=_("Due on"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()  # type: ignore[attr-defined]


class ReviewForm(forms.ModelForm):  # type: ignore[type-arg]
    """The texts of a post-incident review (SRM 9)."""

    class Meta:
        model = PostIncidentReview
        fields = ("cause", "timeline_summary", "worked", "did_not_work")
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in fields}


class RiskForm(forms.Form):
    """A risk the review raised or re-rated (the risk register's scenario)."""

    scenario: forms.ModelChoiceField = forms.ModelChoiceField(  # type: ignore[type-arg]
        label=_("Risk"), queryset=User.objects.none()
    )
    change = forms.ChoiceField(label=_("Change"), choices=ReviewRisk.Change.choices)
    note = forms.CharField(label=_("Note"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from mamori.risk.models import RiskScenario

        super().__init__(*args, **kwargs)
        self.fields["scenario"].queryset = RiskScenario.objects.all()  # type: ignore[attr-defined]


class MemberForm(forms.ModelForm):  # type: ignore[type-arg]
    """A CSIRT member (SRM 9-3-3)."""

    class Meta:
        model = CsirtMember
        fields = ("person", "role", "phone", "email", "rotation_position")


class ContactForm(forms.ModelForm):  # type: ignore[type-arg]
    """An external contact (SRM 9-3-4, 9-3-5)."""

    class Meta:
        model = ExternalContact
        fields = ("name", "kind", "purpose", "contact")


class IntelForm(forms.Form):
    """Shared threat information taken into the incident catalogue (SRM 9-3-4)."""

    source = forms.CharField(label=_("Source"), max_length=200)
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}))
    received_on = forms.DateField(label=_("Received on"), widget=DATE)
