"""The registry of the exports the worker builds: what each is, who may have it, its steps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise

__all__ = ["Built", "ExportKind", "Progress", "get_kind", "kinds", "register_export"]

#: What a builder calls as it reaches each of its steps (1, 2, …); it raises if the job was
#: taken from this worker, so the builder stops.
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Built:
    """A finished export: its bytes, the name and type it is downloaded with, and what the
    audit entry of each download says besides the digest."""

    data: bytes
    file_name: str
    content_type: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportKind:
    """A kind of export: ``build(parameters, language, progress)`` makes it; ``permission``
    is what asking for it, following it and downloading it need; ``steps`` name its steps
    (shown translated); ``check`` refuses (:class:`mamori.core.errors.Refused`) parameters
    it cannot be built from, when it is asked for; ``audit_type`` is the kind each download
    is recorded as, and ``object_id`` names the record exported (from the parameters), if
    any; ``back`` is the page it was asked from."""

    name: str
    title: str | Promise
    permission: str
    build: Callable[[dict[str, Any], str, Progress], Built]
    steps: tuple[str | Promise, ...]
    audit_type: str
    check: Callable[[dict[str, Any]], None] = field(default=lambda parameters: None)
    object_id: Callable[[dict[str, Any]], str] = field(default=lambda parameters: "")
    back: Callable[[dict[str, Any]], str] = field(default=lambda parameters: "/")


_KINDS: dict[str, ExportKind] = {}


def register_export(kind: ExportKind) -> None:
    """Declare a kind of export (a module does this in its AppConfig.ready)."""
    if not kind.steps:
        raise ValueError(f"export {kind.name!r} needs at least one step")
    _KINDS[kind.name] = kind


def kinds() -> list[ExportKind]:
    """Return the registered kinds, by name."""
    return [_KINDS[name] for name in sorted(_KINDS)]


def get_kind(name: str) -> ExportKind:
    """Return the kind called ``name`` or raise KeyError naming the known ones."""
    try:
        return _KINDS[name]
    except KeyError:
        raise KeyError(f"no export {name!r}; known: {', '.join(sorted(_KINDS))}") from None
