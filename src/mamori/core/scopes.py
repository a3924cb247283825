"""The registry of API scopes; each app declares the scopes its endpoints require."""

from __future__ import annotations

from django.utils.functional import Promise

__all__ = ["known_scopes", "register_scope", "scope_descriptions"]

_SCOPES: dict[str, str | Promise] = {}


def register_scope(name: str, description: str | Promise) -> None:
    """Declare scope ``name`` (``app:action``); declaring it twice keeps the first."""
    if ":" not in name:
        raise ValueError(f"a scope is app:action, got {name!r}")
    _SCOPES.setdefault(name, description)


def known_scopes() -> list[str]:
    """Return every declared scope name, sorted."""
    return sorted(_SCOPES)


def scope_descriptions() -> list[tuple[str, str | Promise]]:
    """Return (name, description) for every declared scope, sorted by name."""
    return sorted(_SCOPES.items())
