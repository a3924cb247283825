"""Permission checks for pages: every page declares what it needs (least privilege).

A page is wrapped in :func:`permission_required` (a role must grant the permission; the
permission ``signed_in`` is every active person's own pages: profile, notifications, tasks) or
marked :func:`public` (sign-in, published policy summaries). The declaration is kept on the
view as ``required_permission`` so a test can walk every route and prove it for every role.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from mamori.accounts.services.roles import has_permission
from mamori.core.scopes import SIGNED_IN

__all__ = ["PUBLIC", "View", "permission_required", "public", "signed_in_required"]

View = Callable[..., HttpResponseBase]

#: What a page open to anyone, signed in or not, declares.
PUBLIC = "public"


def permission_required(permission: str) -> Callable[[View], View]:
    """Refuse (403) people whose roles do not grant ``permission``; send anyone not signed in
    to the sign-in page."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not has_permission(request.user, permission):
                raise PermissionDenied(permission)
            return view(request, *args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorator


#: A page of the signed-in person's own (profile, notifications, their tasks).
signed_in_required = permission_required(SIGNED_IN)


def public(view: View) -> View:
    """Mark ``view`` as open to anyone (sign-in steps, published summaries)."""
    view.required_permission = PUBLIC  # type: ignore[attr-defined]
    return view
