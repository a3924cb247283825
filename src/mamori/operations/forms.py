"""Forms of the incident pages (SRM 6-1-3, 7-3, 9; ISM 8-1-3, 9-3)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import User
from mamori.operations.models import Incident, IncidentRole, SeverityRule

__all__ = [
    "AlertSourceForm",
    "CommanderForm",
    "FactsForm",
    "LinkForm",
    "NoteForm",
    "ReportForm",
    "RoleForm",
    "SeverityRuleForm",
    "StatusForm",
]


class ReportForm(forms.Form):
    """Report an incident in two fields (SRM 7-3, ISM 9-3: report at once)."""

    title = forms.CharField(label=_("What happened"), max_length=300)
    location = forms.CharField(label=_("Where"), max_length=300)
    kind = forms.ChoiceField(
        label=_("Kind (if known)"),
        choices=[("", "—"), *Incident.Kind.choices],
        required=False,
    )


def _people() -> Any:
    return User.objects.filter(is_active=True).order_by("username")


class StatusForm(forms.Form):
    """Move the incident to a status, with a note."""

    status = forms.ChoiceField(label=_("Status"), choices=Incident.Status.choices)
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)


class CommanderForm(forms.Form):
    """Hand the command to a person."""

    person = forms.ModelChoiceField(
        label=_("Commander"), queryset=_people(), to_field_name="username"
    )


class RoleForm(forms.Form):
    """Put a person in a role of the response."""

    role = forms.ChoiceField(label=_("Role"), choices=IncidentRole.Role.choices)
    person = forms.ModelChoiceField(label=_("Person"), queryset=_people(), to_field_name="username")


class FactsForm(forms.Form):
    """What is now known of the impact (the severity is regraded by the rules)."""

    customers_affected = forms.IntegerField(label=_("customers affected"), min_value=0)
    assets_at_risk_jpy = forms.DecimalField(
        label=_("assets at risk (JPY)"), min_value=0, decimal_places=0, max_digits=20
    )
    outage_minutes = forms.IntegerField(label=_("outage (minutes)"), min_value=0)
    records_affected = forms.IntegerField(label=_("personal-data records affected"), min_value=0)
    personal_data = forms.BooleanField(label=_("personal data involved"), required=False)
    unauthorised_access = forms.BooleanField(
        label=_("unauthorised access (for the PPC's 60-day report)"), required=False
    )


class NoteForm(forms.Form):
    """A note on the timeline."""

    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))


class LinkForm(forms.Form):
    """A record the incident concerns."""

    object_type = forms.CharField(label=_("record type"), max_length=80)
    object_key = forms.CharField(label=_("record"), max_length=120)
    label = forms.CharField(label=_("label"), max_length=200, required=False)


class SeverityRuleForm(forms.ModelForm):  # type: ignore[type-arg]
    """A rule of severity."""

    class Meta:
        model = SeverityRule
        fields = ["severity", "fact", "at_least", "kind"]

    def clean_at_least(self) -> Any:
        """Refuse a threshold below zero (no fact is negative)."""
        value = self.cleaned_data["at_least"]
        if value is not None and value < 0:
            raise forms.ValidationError(_("Expected a threshold of at least 0."))
        return value


class AlertSourceForm(forms.Form):
    """A source of alerts from outside and its name."""

    code = forms.SlugField(label=_("source"), max_length=50)
    name = forms.CharField(label=_("name"), max_length=200, required=False)
