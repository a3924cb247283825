"""Pages of a list that is drawn by its own template rather than a :class:`~mamori.core.tables.
ListTable` (rows with forms in them, several short lists on one record's page) (issue 25).

:func:`paged` answers one page of the rows, read from the request's ``<name>`` parameter so
that several lists on one page each keep their own page; ``core/_pager.html`` draws its pager::

    runs = paged(request, control.runs.all(), "runs-page")
    {% for run in runs %}…{% endfor %}
    {% include "core/_pager.html" with page=runs %}
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from mamori.core.tables import PAGE_SIZE

__all__ = ["paged"]


def paged(
    request: HttpRequest,
    rows: QuerySet[Any] | list[Any],
    name: str = "page",
    per_page: int = PAGE_SIZE,
) -> Page[Any]:
    """Return the page of ``rows`` the request's ``name`` parameter asks for (the first when
    it is missing or not a number, the last when past the end); the page knows ``name`` as
    its ``param`` for its pager."""
    page = Paginator(rows, per_page).get_page(request.GET.get(name))
    page.param = name  # type: ignore[attr-defined]
    return page
