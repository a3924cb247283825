"""Where each kind of record is shown: the object types entries name (``app.model``) and the
page of one object, contributed by each app at start-up, so an audit entry links to its record
(ISM 23-1-2: the trail is read per record)."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Model
from django.urls import NoReverseMatch, reverse

__all__ = ["label_of", "register_link", "registered", "url_of"]

Link = Callable[[str], str | None]
_LINKS: dict[str, Link] = {}


def label_of(obj: Model) -> str:
    """Return the object type entries name ``obj`` by (``app.model``)."""
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def register_link(object_type: str, link: str | Link) -> None:
    """Let entries about ``object_type`` link to its page: ``link`` is a URL name taking the
    object's id as ``pk``, or a function of the id returning the URL (None where none)."""
    if isinstance(link, str):
        name = link

        def by_pk(object_id: str) -> str | None:
            try:
                return reverse(name, kwargs={"pk": int(object_id)})
            except (ValueError, NoReverseMatch):
                return None

        _LINKS[object_type] = by_pk
    else:
        _LINKS[object_type] = link


def registered() -> frozenset[str]:
    """Return the object types whose records have a page."""
    return frozenset(_LINKS)


def url_of(object_type: str, object_id: str) -> str | None:
    """Return the page of the object an entry names, or None if it has none."""
    link = _LINKS.get(object_type)
    if link is None or not object_id:
        return None
    return link(object_id)
