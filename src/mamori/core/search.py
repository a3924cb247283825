"""The registry of the global search: each module says which of its records can be found by
code, name or text, who may see them, and where each one is read.

A :class:`Source` is searched only for a person whose roles grant its ``permission`` (the
permission of the records' own pages); its ``query`` may narrow further, record by record
(approval requests: only those the person may open). The core imports no module: sources are
registered when the apps start (their ``search.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils.functional import Promise

if TYPE_CHECKING:
    from mamori.accounts.models import User

__all__ = [
    "MIN_LENGTH",
    "Hit",
    "Source",
    "matching",
    "register_source",
    "sources_for",
]

#: A query shorter than this finds nothing (one Latin letter would match everything).
MIN_LENGTH = 2


@dataclass(frozen=True)
class Hit:
    """One record found: its code, its title in the active language, where it is read."""

    code: str
    title: str
    url: str
    detail: str = ""


@dataclass(frozen=True)
class Source:
    """A kind of record the search finds.

    ``query(user, text)`` returns the matching records ``user`` may see, in the order shown;
    ``hit`` turns one into a :class:`Hit`."""

    code: str
    label: str | Promise
    permission: str
    query: Callable[[User, str], QuerySet[Any]]
    hit: Callable[[Any], Hit]
    order: int = 100


_SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> None:
    """Add ``source`` to the search (replacing one with the same code)."""
    _SOURCES[source.code] = source


def sources_for(user: User) -> list[Source]:
    """Return the sources ``user``'s roles allow them to search, in order."""
    from mamori.accounts.services.roles import permissions_of

    granted = permissions_of(user)
    return [
        source
        for source in sorted(_SOURCES.values(), key=lambda s: (s.order, s.code))
        if source.permission in granted
    ]


def matching(text: str, *fields: str) -> Q:
    """Return the condition "``text`` occurs in any of ``fields``" (case-insensitive)."""
    condition = Q(pk__in=[])
    for name in fields:
        condition |= Q(**{f"{name}__icontains": text})
    return condition
