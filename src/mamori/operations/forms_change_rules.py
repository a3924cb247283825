"""Forms of the change-control rules (SRM 11-3, 17, 22): a stage rule and the time limits,
each proposed for two officers' approval."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import ApprovalPolicy
from mamori.operations.models import Change
from mamori.operations.services import change_rules, operations_settings
from mamori.operations.services.changes import stage_label

__all__ = ["LimitsForm", "StageRuleForm"]


class StageRuleForm(forms.Form):
    """What entering a stage needs for a kind of change."""

    kind = forms.ChoiceField(label=_("kind of change"), choices=Change.Kind.choices)
    stage = forms.ChoiceField(label=_("stage entered"))
    needs_approval = forms.BooleanField(label=_("needs approval"), required=False)
    policy = forms.ChoiceField(label=_("approval policy"), required=False)
    after_the_fact = forms.BooleanField(
        label=_("may be approved after the fact (released first)"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [  # type: ignore[attr-defined]
            (s.value, stage_label(s)) for s in change_rules.RULED_STAGES
        ]
        self.fields["policy"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (p.code, f"{p.code} — {p}") for p in ApprovalPolicy.objects.order_by("code")
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("needs_approval") and not data.get("policy"):
            self.add_error("policy", _("Choose the policy the approval is decided under."))
        return data


#: The time limits' bounds, as the operations settings check them.
_LIMITS = operations_settings.EDITABLE["changes"].bounds


class LimitsForm(forms.Form):
    """The time limits after a release."""

    emergency_review_hours = forms.IntegerField(
        label=_("an emergency change is approved within (hours after release)"),
        min_value=_LIMITS["emergency_review_hours"][0],
        max_value=_LIMITS["emergency_review_hours"][1],
    )
    review_within_days = forms.IntegerField(
        label=_("the post-change review is signed within (days after release)"),
        min_value=_LIMITS["review_within_days"][0],
        max_value=_LIMITS["review_within_days"][1],
    )
