"""Navigation that follows the chapters of the rules; apps add their pages at start-up."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import NoReverseMatch, resolve, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

__all__ = ["CHAPTERS", "Chapter", "Entry", "menu_for", "register_page"]


@dataclass(frozen=True)
class Entry:
    """One page in the menu; ``allowed`` decides who sees it."""

    label: str | Promise
    url_name: str
    allowed: Callable[[HttpRequest], bool] = lambda request: True


@dataclass
class Chapter:
    """A group of pages matching chapters of the rules."""

    code: str
    title: str | Promise
    articles: str
    entries: list[Entry] = field(default_factory=list)


CHAPTERS: list[Chapter] = [
    Chapter("governance", _("Governance and organisation"), "SRM 1–7, 24 · ISM 1–11"),
    Chapter("risk", _("Risk management"), "SRM 8, 11 · ISM 12–21"),
    Chapter("operations", _("Planning, development and operations"), "SRM 9–23"),
    Chapter("vendors", _("Outsourcing and cloud"), "SRM 25–27"),
    Chapter("custody", _("Crypto-asset custody"), "ISM 25–34"),
    Chapter("dataprotect", _("Customers' important information"), "ISM 21–24"),
    Chapter("audit", _("Records and audit"), "ISM 23 · SRM 24"),
    Chapter("platform", _("Platform"), ""),
]


def register_page(
    chapter: str,
    label: str | Promise,
    url_name: str,
    allowed: Callable[[HttpRequest], bool] | None = None,
) -> None:
    """Add a page to ``chapter``'s menu (idempotent per url name)."""
    for item in CHAPTERS:
        if item.code == chapter:
            if all(entry.url_name != url_name for entry in item.entries):
                item.entries.append(Entry(label, url_name, allowed or (lambda request: True)))
            return
    raise ValueError(f"unknown chapter {chapter!r}")


@functools.cache
def _declared_permission(url_name: str) -> str | None:
    """Return the permission the page ``url_name`` declares (None: open, or a page with
    parameters whose own ``allowed`` decides); the URL configuration does not change, so
    each page is resolved once, not at every menu drawn."""
    try:
        view = resolve(reverse(url_name)).func
    except NoReverseMatch:
        return None
    permission = getattr(view, "required_permission", None)
    return None if permission == "public" else permission


def _declared_allows(request: HttpRequest, url_name: str) -> bool:
    """Return whether the person's roles grant the permission the page declares (a page
    they would be refused is not offered)."""
    from mamori.accounts.services.roles import has_permission

    permission = _declared_permission(url_name)
    return permission is None or has_permission(request.user, permission)


def menu_for(request: HttpRequest) -> list[tuple[Chapter, list[Entry]]]:
    """Return the chapters with the entries ``request.user`` may see — those whose page
    declares a permission their roles grant and that their own test allows; empty chapters
    omitted."""
    menu = []
    for chapter in CHAPTERS:
        entries = [
            entry
            for entry in chapter.entries
            if entry.allowed(request) and _declared_allows(request, entry.url_name)
        ]
        if entries:
            menu.append((chapter, entries))
    return menu
