"""The registry of API scopes and the permission each one stands for.

One permission model serves pages and the API: a role grants permissions (``app.action``); an
API scope (``app:action``) names the permission it exercises. A signed-in person passes an
endpoint when their roles grant the scope's permission; a token passes when it carries the scope
*and* the person who issued it still holds the permission (a token issued from the command line
has no issuer and acts for the installation's own services with its scopes alone).
"""

from __future__ import annotations

from django.utils.functional import Promise

__all__ = [
    "SIGNED_IN",
    "known_scopes",
    "permission_for",
    "register_scope",
    "scope_descriptions",
]

#: The permission of endpoints and pages every signed-in person may use (their own profile,
#: notifications and tasks): declared, like any other, so that nothing is open by omission.
SIGNED_IN = "signed_in"

_SCOPES: dict[str, str | Promise] = {}
_PERMISSIONS: dict[str, str] = {}


def register_scope(name: str, description: str | Promise, permission: str) -> None:
    """Declare scope ``name`` (``app:action``) exercising ``permission`` (:data:`SIGNED_IN` for
    a person's own things: their tasks, their search); the first declaration of a name stands."""
    if ":" not in name:
        raise ValueError(f"a scope is app:action, got {name!r}")
    if "." not in permission and permission != SIGNED_IN:
        raise ValueError(f"a permission is app.action (or {SIGNED_IN}), got {permission!r}")
    _SCOPES.setdefault(name, description)
    _PERMISSIONS.setdefault(name, permission)


def permission_for(scope: str) -> str:
    """Return the permission ``scope`` exercises; raise ``KeyError`` for an undeclared scope."""
    try:
        return _PERMISSIONS[scope]
    except KeyError:
        raise KeyError(f"the scope {scope!r} is not declared (register_scope)") from None


def known_scopes() -> list[str]:
    """Return every declared scope name, sorted."""
    return sorted(_SCOPES)


def scope_descriptions() -> list[tuple[str, str | Promise]]:
    """Return (name, description) for every declared scope, sorted by name."""
    return sorted(_SCOPES.items())
