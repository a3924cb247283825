"""The list of configuration imports (:mod:`mamori.core.tables`) (SRM 12-4)."""

from __future__ import annotations

from typing import ClassVar

import django_filters
import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from mamori.core.tables import ListFilter, ListTable
from mamori.operations.models import ImportRun

__all__ = ["ImportRunFilter", "ImportRunTable"]


class ImportRunFilter(ListFilter):
    """Filter imports by source and outcome; search file names and digests."""

    search_fields: ClassVar[tuple[str, ...]] = ("file_name", "sha256")
    source = django_filters.ChoiceFilter(choices=ImportRun.Source.choices, label=_("Source"))
    outcome = django_filters.ChoiceFilter(choices=ImportRun.Outcome.choices, label=_("Outcome"))


class ImportRunTable(ListTable):
    """When, source, file, outcome and what each import changed."""

    filter_class = ImportRunFilter
    export = "operations.cmdb_imports"

    at = tables.DateTimeColumn(verbose_name=_("At"))
    source = tables.Column(verbose_name=_("Source"))
    file_name = tables.Column(verbose_name=_("File"))
    outcome = tables.Column(verbose_name=_("Outcome"))
    added = tables.Column(verbose_name=_("Added"))
    changed = tables.Column(verbose_name=_("Changed"))
    gone = tables.Column(verbose_name=_("Gone"))
    reappeared = tables.Column(verbose_name=_("Reappeared"))
    unchanged = tables.Column(verbose_name=_("Unchanged"))
    relations_added = tables.Column(verbose_name=_("Relations added"))
    relations_gone = tables.Column(verbose_name=_("Relations gone"))
    unknown = tables.Column(verbose_name=_("Without a system"))
    problems = tables.Column(verbose_name=_("Problems"), accessor="errors", orderable=False)
    by = tables.Column(verbose_name=_("By"), accessor="by__username", default="—")
    sha256 = tables.Column(verbose_name=_("SHA-256"))

    class Meta(ListTable.Meta):
        order_by = ("-at",)

    def render_problems(self, value: list[dict[str, str]]) -> str:
        """The problems a refused file had, each with its row or path."""
        return "; ".join(f"{p['where']}: {p['message']}" for p in value)

    def value_problems(self, value: list[dict[str, str]]) -> str:
        """The problems, for downloads."""
        return self.render_problems(value)

    def render_sha256(self, value: str) -> str:
        """The digest, shortened."""
        return value[:12]
