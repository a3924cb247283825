"""Forms of the rulebook pages: every field validated at the edge, errors said plainly."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mamori.rulebook.models import PolicyDocument, StatusDecision


class EvidenceForm(forms.Form):
    """Upload one evidence document for a document control."""

    title = forms.CharField(label=_("Title"), max_length=300)
    file = forms.FileField(label=_("File"))
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: the control's default validity from today."),
    )
    sha256 = forms.RegexField(
        label=_("SHA-256 (optional)"),
        regex=r"^[0-9a-fA-F]{64}$",
        required=False,
        help_text=_("If given, the upload is refused unless the file has this hash."),
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
