"""Forms of the configuration register (SRM 7-2, 12-2..5)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.operations.models import ConfigurationItem, Relation

__all__ = ["ItemForm", "RelationForm", "ReviewForm"]


class ItemForm(forms.ModelForm):  # type: ignore[type-arg]
    """A configuration item recorded by hand (source ``manual``)."""

    external_id = forms.CharField(
        label=_("Identifier"),
        max_length=500,
        help_text=_("Unique among the items recorded by hand: a host name, an asset tag."),
    )

    class Meta:
        model = ConfigurationItem
        fields = [
            "kind",
            "name",
            "external_id",
            "system",
            "department",
            "system_manager",
            "location",
            "criticality",
            "lifecycle",
            "version",
            "expires_on",
        ]
        widgets = {"expires_on": forms.DateInput(attrs={"type": "date"})}

    def clean_external_id(self) -> str:
        """Refuse an identifier another manual item already has."""
        value: str = self.cleaned_data["external_id"].strip()
        taken = ConfigurationItem.objects.filter(source="manual", external_id=value)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another manual item has this identifier."))
        return value


class RelationForm(forms.Form):
    """A relation from this item to another; ``holds_data`` names the kind of data."""

    kind = forms.ChoiceField(label=_("Relation"), choices=Relation.Kind.choices)
    target = forms.ModelChoiceField(
        label=_("Other item"), queryset=ConfigurationItem.objects.none()
    )
    data_kind = forms.CharField(
        label=_("Kind of data"),
        max_length=100,
        required=False,
        help_text=_("For holds data: customer personal data, order data, keys…"),
    )

    def __init__(self, *args: Any, item: ConfigurationItem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ConfigurationItem.objects.exclude(pk=item.pk).order_by("kind", "name")


class ReviewForm(forms.Form):
    """The yearly configuration-management review (SRM 12-5)."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    conclusion = forms.CharField(
        label=_("Conclusion"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )
