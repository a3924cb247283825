"""Permission checks for views: a role must grant the permission (least privilege)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from mamori.accounts.services.roles import has_permission

View = Callable[..., HttpResponseBase]


def permission_required(permission: str) -> Callable[[View], View]:
    """Refuse (403) people whose roles do not grant ``permission``."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not has_permission(request.user, permission):
                raise PermissionDenied(permission)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
