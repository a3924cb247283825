"""The risk register as a list (:mod:`mamori.core.tables`): the risks of one assessment in
the order of treatment at a stage, filtered by owner, level, threat, flag and text, paged,
sorted and downloadable (ISM 16)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import django_tables2 as tables
from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListTable, RowsFilter
from mamori.risk.models import RiskScenario

__all__ = ["RegisterFilter", "RegisterTable", "RiskRow"]

STAGE_CHOICES = [  # the page ranks by the current rating unless told: first, so chosen
    ("current", _("current")),
    ("inherent", _("inherent")),
    ("residual", _("residual")),
]
#: What a risk above acceptance is called, by the stage it is ranked by.
ABOVE = {
    "inherent": _("inherent risk above acceptance"),
    "current": _("current risk above acceptance"),
    "residual": _("residual risk above acceptance"),
}


@dataclass(frozen=True)
class RiskRow:
    """One risk with its ranking at ``stage``."""

    scenario: RiskScenario
    rank: Any
    stage: str

    @property
    def priority(self) -> int:
        """Its place in the order of treatment."""
        return int(self.rank.priority)


class RegisterForm(forms.Form):
    """The stage ranked by (read by the page) and the filters of the list."""

    assessment = forms.IntegerField(required=False, widget=forms.HiddenInput, label="")
    stage = forms.ChoiceField(choices=STAGE_CHOICES, required=False, label=_("Ranked by"))
    owner = forms.ChoiceField(required=False, label=_("Owner"))
    level = forms.ChoiceField(required=False, label=_("Level"))
    threat = forms.ChoiceField(required=False, label=_("Threat"))
    flagged = forms.BooleanField(required=False, label=_("flagged for review"))
    q = forms.CharField(required=False, label=_("Search"))


class RegisterFilter(RowsFilter):
    """Keep the risks of one owner, level or threat, flagged ones, or those whose code or
    name holds the search; the choices are those of the assessment's risks."""

    form_class = RegisterForm

    def __init__(
        self, data: QueryDict, queryset: QuerySet[Any] | list[Any], prefix: str | None = None
    ) -> None:
        super().__init__(data, queryset, prefix)
        rows: list[RiskRow] = self.queryset
        english = (get_language() or "ja").startswith("en")
        levels = {r.rank.level.code: r.rank.level for r in rows}
        blank = [("", "---------")]
        choices = {
            "owner": [(u, u) for u in sorted({r.scenario.owner.username for r in rows})],
            "level": [
                (code, level.label_en if english else level.label_ja)
                for code, level in levels.items()
            ],
            "threat": [(t, t) for t in sorted({r.scenario.threat.code for r in rows})],
        }
        for name, offered in choices.items():
            field = self.form.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = blank + offered

    def keep(self, rows: list[RiskRow], data: dict[str, Any]) -> list[RiskRow]:
        """Return the risks the filters keep."""
        text = (data.get("q") or "").strip().casefold()
        return [
            row
            for row in rows
            if (not data.get("owner") or row.scenario.owner.username == data["owner"])
            and (not data.get("level") or row.rank.level.code == data["level"])
            and (not data.get("threat") or row.scenario.threat.code == data["threat"])
            and (not data.get("flagged") or row.scenario.needs_review)
            and (not text or text in _searched(row.scenario))
        ]


def _searched(scenario: RiskScenario) -> str:
    return f"{scenario.code} {scenario.name_ja} {scenario.name_en}".casefold()


def _rating(scenario: RiskScenario, stage: str) -> str:
    rating = scenario.rating(stage)
    return f"{rating.likelihood}×{rating.impact}"


class RegisterTable(ListTable):
    """Priority, code, risk, owner, the three ratings, treatment, review."""

    filter_class = RegisterFilter
    export = "risk.register"

    priority = tables.Column(verbose_name=_("Priority"))
    code = tables.Column(verbose_name=_("Code"), accessor="scenario__code")
    name = tables.Column(verbose_name=_("Risk"), accessor="scenario__name", orderable=False)
    owner = tables.Column(verbose_name=_("Owner"), accessor="scenario__owner__username")
    inherent = tables.Column(verbose_name=_("Inherent"), accessor="scenario", orderable=False)
    current = tables.Column(verbose_name=_("Current"), accessor="scenario", orderable=False)
    residual = tables.Column(verbose_name=_("Residual"), accessor="scenario", orderable=False)
    treatment = tables.Column(verbose_name=_("Treatment"), accessor="scenario", orderable=False)
    review = tables.Column(verbose_name=_("Review"), empty_values=(), orderable=False)

    class Meta(ListTable.Meta):
        attrs = {"class": "list", "id": "risks"}
        row_attrs = {"class": lambda record: f"level-{record.rank.level.code}"}

    def render_code(self, record: RiskRow) -> Any:
        """The risk's code, linked to its page."""
        url = reverse("risk:scenario", args=[record.scenario.pk])
        return format_html('<a href="{}">{}</a>', url, record.scenario.code)

    def render_inherent(self, value: RiskScenario) -> str:
        """Likelihood × impact before any control."""
        return _rating(value, "inherent")

    def render_current(self, value: RiskScenario) -> str:
        """Likelihood × impact with today's controls."""
        return _rating(value, "current")

    def render_residual(self, value: RiskScenario) -> str:
        """Likelihood × impact after the treatment."""
        return _rating(value, "residual")

    def render_treatment(self, value: RiskScenario) -> str:
        """The decided treatment, or the recommended one, or nothing yet."""
        treatment = getattr(value, "treatment", None)
        if treatment is None:
            return "—"
        if treatment.decided_option:
            return str(treatment.decided_label)
        return f"{_('recommended')}: {treatment.recommended_label}"

    def render_review(self, record: RiskRow) -> Any:
        """Flagged for review, and above acceptance at the stage ranked by."""
        said = []
        if record.scenario.needs_review:
            said.append(format_html('<span class="status-bad">{}</span>', _("flagged")))
        if not record.rank.within_acceptance:
            said.append(format_html('<span class="status-bad">{}</span>', ABOVE[record.stage]))
        return format_html(" ".join(["{}"] * len(said)), *said) if said else ""

    def value_code(self, record: RiskRow) -> str:
        """The risk's code."""
        return record.scenario.code

    def value_review(self, record: RiskRow) -> str:
        """Flagged for review, and above acceptance at the stage ranked by."""
        said = [_("flagged")] if record.scenario.needs_review else []
        if not record.rank.within_acceptance:
            said.append(ABOVE[record.stage])
        return "; ".join(str(s) for s in said)
