"""Forms of the rulebook pages: every field validated at the edge, errors said plainly."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.rulebook.models import Control, Evidence, PolicyDocument, Requirement, StatusDecision


class _RequirementChoice(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Requirement) -> str:
        return f"{obj.label} {obj.text[:80]}"


def _requirements(queryset: Any, required: bool, label: str, help_text: str) -> forms.Field:
    return _RequirementChoice(
        queryset=queryset.order_by("framework", "order"),
        required=required,
        label=label,
        help_text=help_text,
        widget=forms.CheckboxSelectMultiple,
    )


class EvidenceForm(forms.Form):
    """Upload one evidence document for a document control: what it shows, for which period."""

    def __init__(self, *args: Any, control: Control | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queryset = control.requirements.all() if control else Requirement.objects.none()
        self.fields["requirements"] = _requirements(
            queryset,
            False,
            str(_("Requirements it shows")),
            str(_("Empty: every requirement of the control; the owner confirms each one.")),
        )

    title = forms.CharField(label=_("Title"), max_length=300)
    file = forms.FileField(label=_("File"))
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: the control's default validity from today."),
    )
    period_start = forms.DateField(
        label=_("Period covered from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    period_end = forms.DateField(
        label=_("Period covered to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    sha256 = forms.RegexField(
        label=_("SHA-256 (optional)"),
        regex=r"^[0-9a-fA-F]{64}$",
        required=False,
        help_text=_("If given, the upload is refused unless the file has this hash."),
    )


class AcceptEvidenceForm(forms.Form):
    """The owner accepts evidence, confirming each requirement it shows."""

    def __init__(self, *args: Any, item: Evidence, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requirements"] = _requirements(
            item.claimed.all(),
            True,
            str(_("Requirements it shows")),
            str(_("Tick only the requirements this evidence really shows.")),
        )

    comment = forms.CharField(
        label=_("Comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RejectEvidenceForm(forms.Form):
    """The owner rejects evidence, saying why."""

    reason = forms.CharField(
        label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(forms.Form):
    """The owner's periodic review of a control."""

    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    """Ask for a manual compliance status (takes effect only after approval)."""

    status = forms.ChoiceField(label=_("Status"), choices=StatusDecision.Status.choices)
    justification = forms.CharField(
        label=_("Justification"), min_length=10, widget=forms.Textarea(attrs={"rows": 3})
    )


class PolicyForm(forms.Form):
    """Every section of a policy summary, in Japanese and English."""

    def __init__(self, document: PolicyDocument, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.document = document
        for section in document.sections:
            for language in ("ja", "en"):
                self.fields[f"{section['key']}_{language}"] = forms.CharField(
                    label=f"{section[language]} ({'日本語' if language == 'ja' else 'English'})",
                    max_length=20000,
                    widget=forms.Textarea(attrs={"rows": 3, "lang": language}),
                )

    def body(self) -> dict[str, dict[str, str]]:
        """Return the cleaned sections as the version body."""
        return {
            s["key"]: {
                "ja": self.cleaned_data[f"{s['key']}_ja"],
                "en": self.cleaned_data[f"{s['key']}_en"],
            }
            for s in self.document.sections
        }
