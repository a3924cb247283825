"""Pages of the platform shell: the dashboard that modules fill, the person's tasks and the
global search."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mamori.core.dashboard import widgets_for
from mamori.core.scopes import SIGNED_IN
from mamori.core.search import MIN_LENGTH, sources_for
from mamori.core.tasks import tasks_for

#: Records shown per kind on the search's overview; "show all" pages through the rest.
SHOWN_PER_SOURCE = 5
#: Records per page when one kind is shown.
PAGE_SIZE = 50


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Show every widget the signed-in person may see."""
    return render(request, "core/dashboard.html", {"widgets": widgets_for(request)})


dashboard_view.required_permission = SIGNED_IN  # type: ignore[attr-defined]


@login_required
def tasks_view(request: HttpRequest) -> HttpResponse:
    """Show everything waiting on the signed-in person, grouped by kind, overdue first."""
    groups = tasks_for(request.user)  # type: ignore[arg-type]
    return render(
        request,
        "core/tasks.html",
        {
            "groups": groups,
            "total": sum(len(g.tasks) for g in groups if g.kind.in_badge),
            "overdue": sum(g.overdue for g in groups),
        },
    )


tasks_view.required_permission = SIGNED_IN  # type: ignore[attr-defined]


@login_required
def search_view(request: HttpRequest) -> HttpResponse:
    """Find records by code, name or text among those the person may see: a few of each kind
    with how many there are, or (``in``) every record of one kind, paged."""
    text = request.GET.get("q", "").strip()[:200]
    chosen = request.GET.get("in", "")
    groups = []
    page = None
    if len(text) >= MIN_LENGTH:
        for source in sources_for(request.user):  # type: ignore[arg-type]
            if chosen and source.code != chosen:
                continue
            rows = source.query(request.user, text)  # type: ignore[arg-type]
            if chosen:
                page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
                hits = [source.hit(row) for row in page.object_list]
                total = page.paginator.count
            else:
                hits = [source.hit(row) for row in rows[:SHOWN_PER_SOURCE]]
                total = len(hits) if len(hits) < SHOWN_PER_SOURCE else rows.count()
            if hits:
                groups.append({"source": source, "hits": hits, "total": total})
    return render(
        request,
        "core/search.html",
        {
            "q": text,
            "chosen": chosen,
            "groups": groups,
            "page": page,
            "too_short": bool(text) and len(text) < MIN_LENGTH,
        },
    )


search_view.required_permission = SIGNED_IN  # type: ignore[attr-defined]
