"""The person's tasks and the global search on the API: ``GET /api/tasks`` and
``GET /api/search?q=``, for a signed-in person or a token a person issued (it acts for them:
their tasks, the records their roles let them read)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from mamori.core.api import authenticated, refusals
from mamori.core.search import MIN_LENGTH, sources_for
from mamori.core.tasks import badge_count, count_of, tasks_for

__all__ = ["router"]

router = Router(tags=["tasks"])


class TaskOut(Schema):
    """One thing waiting on the person."""

    kind: str
    key: str
    title: str
    url: str
    due: date | None
    overdue: bool
    detail: str


class GroupOut(Schema):
    """The tasks of one kind."""

    kind: str
    label: str
    total: int
    overdue: int
    items: list[TaskOut]


class TasksOut(Schema):
    """Everything waiting on the person, grouped, with the header's counts."""

    count: int
    unread: int
    groups: list[GroupOut]


class HitOut(Schema):
    """One record found."""

    code: str
    title: str
    url: str
    detail: str


class FoundOut(Schema):
    """The records of one kind found, with how many there are."""

    source: str
    label: str
    total: int
    hits: list[HitOut]


class SearchOut(Schema):
    """What the search found, by kind of record."""

    q: str
    groups: list[FoundOut]


class SearchIn(Schema):
    """The words, and optionally one kind of record with an offset and a limit."""

    q: str = Field(min_length=MIN_LENGTH, max_length=200)
    source: str = Field("", max_length=40, description="one kind of record, e.g. controls")
    offset: int = Field(0, ge=0, le=1_000_000)
    limit: int = Field(5, ge=1, le=100)


def _person(request: HttpRequest) -> Any:
    from mamori.accounts.models import ApiToken

    auth = request.auth  # type: ignore[attr-defined]
    return auth.created_by if isinstance(auth, ApiToken) else auth


@router.get(
    "/tasks",
    response={200: TasksOut, **refusals()},
    auth=authenticated("tasks:read", person_required=True),
)
def my_tasks(request: HttpRequest) -> dict[str, Any]:
    """List what waits on the person, grouped by kind, overdue first."""
    person = _person(request)
    return {
        "count": badge_count(person),
        "unread": count_of(person, "unread"),
        "groups": [
            {
                "kind": group.kind.code,
                "label": str(group.kind.label),
                "total": group.total,
                "overdue": group.overdue,
                "items": [
                    {
                        "kind": task.kind,
                        "key": task.key,
                        "title": task.title,
                        "url": task.url,
                        "due": task.due,
                        "overdue": task.overdue,
                        "detail": task.detail,
                    }
                    for task in group.tasks
                ],
            }
            for group in tasks_for(person)
        ],
    }


@router.get(
    "/search",
    response={200: SearchOut, **refusals(422)},
    auth=authenticated("search:read", person_required=True),
)
def search(request: HttpRequest, filters: Query[SearchIn]) -> dict[str, Any]:
    """Find records by code, name or text among those the person's roles let them read."""
    person = _person(request)
    text = filters.q.strip()
    groups = []
    for source in sources_for(person):
        if filters.source and source.code != filters.source:
            continue
        rows = source.query(person, text)
        window = rows[filters.offset : filters.offset + filters.limit]
        hits = [source.hit(row) for row in window]
        if hits or filters.source:
            groups.append(
                {
                    "source": source.code,
                    "label": str(source.label),
                    "total": rows.count(),
                    "hits": [hit.__dict__ for hit in hits],
                }
            )
    return {"q": text, "groups": groups}
