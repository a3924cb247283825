"""Lists of registers: one component for every list page (issue 25).

A list is a django-tables2 :class:`ListTable` over a queryset narrowed by a django-filter
:class:`ListFilter` (its ``q`` searches the table's ``search_fields``), paged by
:data:`PAGE_SIZE` rows, sortable by its columns, and downloadable as CSV or Excel: the
download holds every row the filters leave (not only the page shown), goes through the
same view (so the same permission) and is recorded in the audit log.

A view calls :func:`listing`; it answers either the download (an ``HttpResponse``) or a
:class:`Listing` that the template includes::

    class DecisionTable(ListTable):
        filter_class = DecisionFilter
        export = "custody.decisions"
        ...

    found = listing(request, rows, DecisionTable)
    if isinstance(found, HttpResponse):
        return found
    ... render(..., {"decisions": found})
    {% include "core/_list.html" with list=decisions %}

Several lists on one page each take a ``prefix``: their page, sort, filter and download
parameters then do not mix.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django import forms
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext_lazy as _

from mamori.core.exports import safe_row

__all__ = [
    "EXPORT_FORMATS",
    "PAGE_SIZE",
    "ListFilter",
    "ListTable",
    "Listing",
    "RowsFilter",
    "downloaded",
    "listing",
]

#: Rows on one page of any list.
PAGE_SIZE = 50
#: The downloads a list offers: the parameter's value and the content type.
EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ListFilter(django_filters.FilterSet):  # type: ignore[misc]
    """The filters of a list; ``q`` searches ``search_fields`` (case-insensitive, any of them)."""

    search_fields: ClassVar[tuple[str, ...]] = ()

    q = django_filters.CharFilter(method="_search", label=_("Search"))

    def _search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        """Keep the rows whose search fields contain ``value``."""
        words = value.strip()
        if not words or not self.search_fields:
            return queryset
        return queryset.filter(
            reduce(or_, (Q(**{f"{f}__icontains": words}) for f in self.search_fields))
        )


class RowsFilter:
    """The filters of a list whose rows are computed (a Python list, not a queryset): a form
    (``form_class``, every field optional) and ``keep``, which narrows the rows by it."""

    form_class: ClassVar[type[forms.Form]]

    def __init__(
        self, data: QueryDict, queryset: QuerySet[Any] | list[Any], prefix: str | None = None
    ) -> None:
        self.form = self.form_class(data, prefix=prefix)
        self.queryset = list(queryset)

    def is_valid(self) -> bool:
        """Whether every filter given is one the form accepts."""
        return self.form.is_valid()

    @property
    def qs(self) -> list[Any]:
        """The rows the filters keep."""
        return self.keep(self.queryset, self.form.cleaned_data)

    def keep(self, rows: list[Any], data: dict[str, Any]) -> list[Any]:
        """Return the ``rows`` that ``data`` (the form's cleaned values) keeps."""
        raise NotImplementedError


class ListTable(tables.Table):  # type: ignore[misc]
    """A table of a register, drawn by ``core/_table.html`` with the project's CSS: it names
    its filters (``filter_class``) and the kind its downloads are recorded as (``export``)."""

    filter_class: ClassVar[type[ListFilter] | type[RowsFilter] | None] = None
    export: ClassVar[str] = ""

    class Meta:
        template_name = "core/_table.html"
        attrs: ClassVar[dict[str, str]] = {"class": "list"}

    @classmethod
    def ordered(cls, rows: QuerySet[Any], sort: str) -> QuerySet[Any]:
        """Return ``rows`` sorted as the list sorts them by ``sort`` (a column's name, ``-``
        first for descending; one that is not a sortable column is ignored)."""
        table = cls(rows, order_by=sort or None)
        return table.data.data if sort else rows


@dataclass
class Listing:
    """What a list's template needs: the table (one page of it), its filters, the download
    links and the parameters of the page's other lists (kept by this list's form)."""

    table: ListTable
    filter: ListFilter | RowsFilter | None
    prefix: str
    exports: list[tuple[str, str]] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)
    count: int = 0


def listing(
    request: HttpRequest,
    rows: QuerySet[Any] | list[Any],
    table_class: type[ListTable],
    *,
    prefix: str = "",
    per_page: int = PAGE_SIZE,
) -> Listing | HttpResponse:
    """Return the list of ``rows`` for ``request`` (filtered, sorted, one page), or, when the
    request asks for ``<prefix>export=csv|xlsx``, every filtered row as that download,
    recorded in the audit log as an export of the table's ``export`` kind."""
    filter_class = table_class.filter_class
    narrowed: ListFilter | RowsFilter | None = None
    data = rows
    if filter_class is not None:
        narrowed = filter_class(request.GET, queryset=rows, prefix=prefix.rstrip("-") or None)
        data = narrowed.qs if narrowed.is_valid() else rows[:0]
    table = table_class(data, prefix=prefix)
    wanted = request.GET.get(f"{prefix}export", "")
    if wanted in EXPORT_FORMATS:
        table.order_by = request.GET.get(table.prefixed_order_by_field)
        return _download(table, wanted, table_class.export, _filters(request, prefix))
    tables.RequestConfig(request, paginate={"per_page": per_page}).configure(table)
    return Listing(
        table=table,
        filter=narrowed,
        prefix=prefix,
        exports=[(fmt, _with(request.GET, f"{prefix}export", fmt)) for fmt in EXPORT_FORMATS],
        kept=[
            (key, value)
            for key, values in request.GET.lists()
            if (prefix and not key.startswith(prefix)) or key == table.prefixed_order_by_field
            for value in values
        ],
        count=table.paginator.count,
    )


def downloaded(*found: Listing | HttpResponse) -> HttpResponse | None:
    """Return the download one of a page's lists answered, if one did."""
    return next((f for f in found if isinstance(f, HttpResponse)), None)


def _with(query: QueryDict, key: str, value: str) -> str:
    """Return ``query`` as a query string with ``key`` set to ``value``."""
    changed = query.copy()
    changed[key] = value
    return "?" + changed.urlencode()


def _filters(request: HttpRequest, prefix: str) -> dict[str, str]:
    """Return the list's own parameters (filters and sort), for the audit log."""
    return {
        key: str(value)
        for key, value in request.GET.items()
        if key.startswith(prefix) and key not in (f"{prefix}export", f"{prefix}page") and value
    }


def values(table: ListTable) -> list[list[Any]]:
    """Return the table's header and every row of its data as plain values."""
    exclude = [name for name, column in table.columns.items() if column.column.exclude_from_export]
    return [list(row) for row in table.as_values(exclude_columns=exclude)]


def _download(table: ListTable, fmt: str, kind: str, filters: dict[str, str]) -> HttpResponse:
    """Answer every row of ``table`` as CSV or Excel, recorded in the audit log."""
    from mamori.auditlog.services import record_export

    grid = values(table)
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        for row in grid:
            writer.writerow(safe_row("" if v is None else v for v in row))
        body = text.getvalue().encode("utf-8-sig")  # the mark lets Excel read Japanese
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(kind[:31])
        for row in grid:
            sheet.append(safe_row(_cell(v) for v in row))
        out = io.BytesIO()
        book.save(out)
        body = out.getvalue()
    record_export(
        kind,
        hashlib.sha256(body).hexdigest(),
        {"format": fmt, "rows": len(grid) - 1, "filters": filters},
    )
    response = HttpResponse(body, content_type=EXPORT_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{kind.replace(".", "-")}.{fmt}"'
    return response


def _cell(value: Any) -> Any:
    """Return ``value`` as something a spreadsheet cell holds."""
    if value is None or isinstance(value, (int, float, str)):
        return value
    return str(value)
