"""Template context shared by every page."""

from typing import Any

from django.http import HttpRequest

from mamori.core.navigation import menu_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Provide the menu for signed-in people."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": []}
    return {"menu": menu_for(request)}
