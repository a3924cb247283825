"""Forms of the maintenance pages (SRM 13)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.operations.models import Change, Maintenance, MaintenanceNoticeRule, System

__all__ = ["MaintenanceForm", "MomentForm", "NoticeRuleForm"]

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
        self.fields["systems"].queryset = System.objects.exclude(lifecycle=System.Lifecycle.RETIRED)
        self.fields["change"].queryset = Change.objects.exclude(
            stage__in=[Change.Stage.CLOSED, Change.Stage.CANCELLED]
        )
        self.fields["planned_start"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.fields["planned_end"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class MomentForm(forms.Form):
    """When the maintenance actually started or ended (empty: now)."""

    at = forms.DateTimeField(
        label=_("At"),
        required=False,
        widget=MOMENT,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class NoticeRuleForm(forms.ModelForm):  # type: ignore[type-arg]
    """The minimum notice for one criticality."""

    class Meta:
        model = MaintenanceNoticeRule
        fields = ["criticality", "minimum_days"]
