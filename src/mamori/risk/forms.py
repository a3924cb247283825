"""Forms of the risk pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import Department, User
from mamori.engines.risk import Option
from mamori.risk.models import (
    ExternalIncident,
    InformationAsset,
    MonitoringLink,
    RiskScenario,
    Threat,
    Vulnerability,
)
from mamori.risk.models.inventory import ASSET_FIELDS, CONFIDENTIAL_KINDS, inventory_problems
from mamori.risk.models.scenarios import BUDGET_DIGITS
from mamori.rulebook.models import Control

OPTIONS = [
    (Option.REDUCE.value, _("reduce")),
    (Option.AVOID.value, _("avoid")),
    (Option.SHARE.value, _("share")),
    (Option.ACCEPT.value, _("accept (only within the acceptance level)")),
]
STAGE_CHOICES = [
    ("inherent", _("inherent")),
    ("current", _("current")),
    ("residual", _("residual")),
]


def _people() -> Any:
    """The people who may own a risk or an asset: those holding ``risk.own`` (ISM 14, 20) —
    not a board member or an auditor, who only read."""
    from mamori.accounts.services.roles import people_with

    return people_with("risk.own")


class _Scale(forms.TypedChoiceField):
    def __init__(self, label: Any, steps: int = 5) -> None:
        super().__init__(
            label=label, coerce=int, choices=[(n, str(n)) for n in range(1, steps + 1)]
        )


class AssessmentForm(forms.Form):
    """Start an assessment."""

    name = forms.CharField(label=_("Name"), max_length=200)
    context_ja = forms.CharField(
        label=_("Context (Japanese)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    context_en = forms.CharField(
        label=_("Context (English)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssetForm(forms.ModelForm):  # type: ignore[type-arg]
    """An information asset (ISM 14-2, 21)."""

    categories = forms.MultipleChoiceField(
        label=_("Data categories"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            ("customer_personal", _("customers' personal data")),
            ("customer_confidential", _("customers' confidential data (ISM 24)")),
            ("keys", _("keys and seeds")),
            ("corporate", _("corporate data")),
        ],
    )

    confidential_kinds = forms.MultipleChoiceField(
        label=_("Confidential information held (ISM 24-1)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=list(CONFIDENTIAL_KINDS.items()),
    )

    class Meta:
        model = InformationAsset
        fields = [*ASSET_FIELDS, "confidential_kinds", "held_in"]
        labels = {
            "code": _("Code"),
            "name_ja": _("Name (Japanese)"),
            "name_en": _("Name (English)"),
            "kind": _("Kind"),
            "classification": _("Classification"),
            "value": _("Value (1–5)"),
            "owner": _("Owner"),
            "custodian": _("Custodian department"),
            "location_kind": _("Location kind"),
            "location": _("Location"),
            "held_in": _("Held in (system)"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()  # type: ignore[attr-defined]
        self.fields["custodian"].queryset = Department.objects.all()  # type: ignore[attr-defined]
        self.fields["value"].widget = forms.Select(choices=[(n, n) for n in range(1, 6)])

    def clean(self) -> dict[str, Any]:
        """Refuse confidential kinds that do not fit the data categories (ISM 24-1)."""
        data = super().clean() or {}
        for problem in inventory_problems(
            list(data.get("categories") or []), list(data.get("confidential_kinds") or [])
        ):
            self.add_error("confidential_kinds", problem)
        return data


class ScenarioForm(forms.Form):
    """A new risk scenario (ISM 14-1, 15)."""

    code = forms.SlugField(label=_("Code"), max_length=50)
    name_ja = forms.CharField(label=_("Name (Japanese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    assets = forms.ModelMultipleChoiceField(
        label=_("Information assets"), queryset=InformationAsset.objects.all()
    )
    threat = forms.ModelChoiceField(label=_("Threat"), queryset=Threat.objects.all())
    vulnerabilities = forms.ModelMultipleChoiceField(
        label=_("Vulnerabilities"), queryset=Vulnerability.objects.all(), required=False
    )
    incidents = forms.ModelMultipleChoiceField(
        label=_("Incidents at other firms"),
        queryset=ExternalIncident.objects.all(),
        required=False,
    )
    owner = forms.ModelChoiceField(label=_("Risk owner"), queryset=User.objects.none())
    approach = forms.ChoiceField(label=_("Approach"), choices=RiskScenario.Approach.choices)
    approach_note = forms.CharField(
        label=_("Rationale of the ratings"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    baseline_controls = forms.ModelMultipleChoiceField(
        label=_("Rulebook controls checked (baseline)"),
        queryset=Control.objects.all(),
        required=False,
    )
    threat_level = forms.TypedChoiceField(
        label=_("Threat level (detailed approach)"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *[(n, str(n)) for n in range(1, 6)]],
    )
    requirement = forms.CharField(
        label=_("Security requirement (detailed approach)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    inherent_likelihood = _Scale(_("Inherent likelihood"))
    inherent_impact = _Scale(_("Inherent impact"))
    current_likelihood = _Scale(_("Current likelihood"))
    current_impact = _Scale(_("Current impact"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()  # type: ignore[attr-defined]


class RateForm(forms.Form):
    """Change one rating, with the reason."""

    stage = forms.ChoiceField(label=_("Stage"), choices=STAGE_CHOICES)
    likelihood = _Scale(_("Likelihood"))
    impact = _Scale(_("Impact"))
    reason = forms.CharField(label=_("Reason"), max_length=500)


class RecommendForm(forms.Form):
    """The security team's recommendation (ISM 17, 18-1)."""

    option = forms.ChoiceField(label=_("Recommended option"), choices=OPTIONS)
    recommendation = forms.CharField(
        label=_("Recommendation"), widget=forms.Textarea(attrs={"rows": 2})
    )
    controls = forms.ModelMultipleChoiceField(
        label=_("Controls from the rulebook"), queryset=Control.objects.all(), required=False
    )
    new_controls = forms.CharField(
        label=_("New controls (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecideForm(forms.Form):
    """The owner's decision and the residual rating (ISM 17, 18-2)."""

    option = forms.ChoiceField(label=_("Decided option"), choices=OPTIONS)
    residual_likelihood = _Scale(_("Residual likelihood"))
    residual_impact = _Scale(_("Residual impact"))
    rationale = forms.CharField(
        label=_("Why these controls"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ActionForm(forms.Form):
    """An action of the plan (ISM 19-1)."""

    text = forms.CharField(label=_("Action"), max_length=500)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    due = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
    budget = forms.DecimalField(
        label=_("Budget (JPY)"), min_value=0, max_digits=BUDGET_DIGITS, decimal_places=0
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _people()  # type: ignore[attr-defined]


class RationaleForm(forms.Form):
    """A new version of the rationale (ISM 18-2)."""

    text = forms.CharField(label=_("Rationale"), widget=forms.Textarea(attrs={"rows": 3}))


class LinkForm(forms.Form):
    """Which automated results move this risk (ISM 12-3)."""

    kind = forms.ChoiceField(label=_("Signal"), choices=MonitoringLink.Kind.choices)
    effect = forms.ChoiceField(label=_("Effect"), choices=MonitoringLink.Effect.choices)
    steps = forms.IntegerField(label=_("Steps"), min_value=1, max_value=4, initial=1)


class ReviewForm(forms.Form):
    """What the review of a flagged risk concluded."""

    note = forms.CharField(label=_("Conclusion"), max_length=1000)


class CatalogueForm(forms.Form):
    """A new threat, vulnerability or incident at another firm (ISM 14-2, 15-3)."""

    code = forms.SlugField(label=_("Code"), max_length=50)
    name_ja = forms.CharField(label=_("Name (Japanese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    text_ja = forms.CharField(label=_("Description (Japanese)"), required=False)
    text_en = forms.CharField(label=_("Description (English)"), required=False)
    firm = forms.CharField(label=_("Firm (incidents)"), required=False, max_length=200)
    year = forms.IntegerField(label=_("Year (incidents)"), required=False, min_value=1990)


class ImportForm(forms.Form):
    """An Excel workbook of assets and scenarios."""

    file = forms.FileField(label=_("Workbook (.xlsx)"))


class SignOffForm(forms.Form):
    """A risk owner's sign-off (ISM 20)."""

    explained_by = forms.ModelChoiceField(
        label=_("Explained to me by"), queryset=User.objects.none()
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000)
    understood = forms.BooleanField(
        label=_("I have had my residual risks explained and I accept them under this plan.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["explained_by"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("username")
