"""The registry of "my tasks": what waits on one person, contributed by each module.

Every module that gives people work registers a :class:`TaskKind` when it starts (in its
``tasks.py``): how to list one person's items of that kind and how to count them with one
query. The core only gathers them, so it imports no module: the inbox at ``/tasks/``, the
header's badge and the reminders before due dates all read this registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.functional import Promise

if TYPE_CHECKING:
    from mamori.accounts.models import User

__all__ = [
    "Group",
    "Task",
    "TaskKind",
    "badge_count",
    "count_of",
    "kinds",
    "register_tasks",
    "tasks_for",
]


@dataclass(frozen=True)
class Task:
    """One thing waiting on a person: a title in the active language, the page where they act,
    and its due date (None: no date; it waits until done).

    ``key`` identifies the record within its kind (``review-item:12``), stable across runs, so a
    reminder is sent once per item and due date. ``late`` marks a task overdue that has no date
    (a control never reviewed, a check that fails)."""

    kind: str
    key: str
    title: str
    url: str
    due: date | None = None
    detail: str = ""
    late: bool = False
    today: date = field(default_factory=timezone.localdate, compare=False)

    @property
    def overdue(self) -> bool:
        """Whether the due date has passed (or the task is late without one)."""
        return self.late or (self.due is not None and self.due < self.today)


@dataclass(frozen=True)
class TaskKind:
    """A kind of task one module gives people.

    ``items`` lists one person's tasks of this kind; ``count`` counts them (one query: it runs on
    every page for the header). ``in_badge`` False keeps the kind out of the tasks badge (unread
    notifications have their own)."""

    code: str
    label: str | Promise
    items: Callable[[User], list[Task]]
    count: Callable[[User], int]
    order: int = 100
    in_badge: bool = True
    #: the page listing all of them, when ``items`` shows only the newest
    more_url: str = ""


@dataclass(frozen=True)
class Group:
    """The tasks of one kind, overdue first, then by due date; ``total`` counts them all
    (more than shown when the kind lists only its newest)."""

    kind: TaskKind
    tasks: list[Task]
    total: int

    @property
    def overdue(self) -> int:
        """How many of the group's tasks are overdue."""
        return sum(task.overdue for task in self.tasks)


_KINDS: dict[str, TaskKind] = {}


def register_tasks(kind: TaskKind) -> None:
    """Add ``kind`` to the registry (replacing one with the same code)."""
    _KINDS[kind.code] = kind


def kinds() -> list[TaskKind]:
    """Return the registered kinds, in order."""
    return sorted(_KINDS.values(), key=lambda k: (k.order, k.code))


def _sort_key(task: Task) -> tuple[Any, ...]:
    return (not task.overdue, task.due is None, task.due or date.max, task.title)


def tasks_for(user: User) -> list[Group]:
    """Return ``user``'s tasks grouped by kind (groups with an overdue task first, then in the
    kinds' order; empty groups left out), each group's tasks overdue first, then by due date."""
    groups = []
    for kind in kinds():
        items = sorted(kind.items(user), key=_sort_key)
        if items:
            total = kind.count(user) if kind.more_url else len(items)
            groups.append(Group(kind, items, total))
    return sorted(groups, key=lambda g: (g.overdue == 0, g.kind.order, g.kind.code))


def count_of(user: User, code: str) -> int:
    """Return how many tasks of kind ``code`` wait on ``user`` (0 for a kind not registered)."""
    kind = _KINDS.get(code)
    return kind.count(user) if kind else 0


def badge_count(user: User) -> int:
    """Return how many tasks wait on ``user`` (the kinds counted in the header's badge), one
    count query per kind."""
    return sum(kind.count(user) for kind in kinds() if kind.in_badge)
