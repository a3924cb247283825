"""Forms of the maintenance pages (SRM 13)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mamori.operations.models import Change, Maintenance, MaintenanceNoticeRule, System

__all__ = ["CRITICALITY", "MaintenanceForm", "MomentForm", "NoticeRuleForm"]

#: The criticalities a notice rule is set for, in the reader's language.
CRITICALITY = {
    "high": pgettext_lazy("maintenance notice rule", "high: customers' assets move through it"),
    "medium": pgettext_lazy("maintenance notice rule", "medium: customers depend on it"),
    "low": pgettext_lazy("maintenance notice rule", "low: internal"),
}

INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class MaintenanceForm(forms.ModelForm):  # type: ignore[type-arg]
    """A maintenance on the calendar: what customers read, systems, window, exception."""

    class Meta:
        model = Maintenance
        fields = [
            "title_ja",
            "title_en",
            "description_ja",
            "description_en",
            "internal_notes",
            "kind",
            "systems",
            "services",
            "change",
            "planned_start",
            "planned_end",
            "exception",
            "exception_reason",
        ]
        widgets = {
            "description_ja": forms.Textarea(attrs={"rows": 3}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
            "internal_notes": forms.Textarea(attrs={"rows": 3}),
            "exception_reason": forms.Textarea(attrs={"rows": 2}),
            "planned_start": MOMENT,
            "planned_end": MOMENT,
        }
        help_texts = {
            "internal_notes": _("Staff only: never shown to customers."),
            "services": _("The customer services shown as under maintenance on the status page."),
            "exception": _(
                "A timely (emergency) maintenance that cannot be announced in time: the finding "
                "is raised all the same and shows the reason."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        live = System.objects.exclude(lifecycle=System.Lifecycle.RETIRED)
        self.fields["systems"].queryset = live  # type: ignore[attr-defined]
        open_changes = Change.objects.exclude(
            stage__in=[Change.Stage.CLOSED, Change.Stage.CANCELLED]
        )
        self.fields["change"].queryset = open_changes  # type: ignore[attr-defined]
        for name in ("planned_start", "planned_end"):
            self.fields[name].input_formats = INPUT_FORMATS  # type: ignore[attr-defined]


class MomentForm(forms.Form):
    """When the maintenance actually started or ended (empty: now)."""

    at = forms.DateTimeField(
        label=_("At"),
        required=False,
        widget=MOMENT,
        input_formats=INPUT_FORMATS,
    )


class NoticeRuleForm(forms.ModelForm):  # type: ignore[type-arg]
    """The minimum notice for one criticality."""

    class Meta:
        model = MaintenanceNoticeRule
        fields = ["criticality", "minimum_days"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["criticality"].choices = list(CRITICALITY.items())  # type: ignore[attr-defined]
