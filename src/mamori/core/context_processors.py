"""Template context shared by every page."""

from typing import Any

from django.http import HttpRequest

from mamori.core.navigation import menu_for
from mamori.core.tasks import badge_count, count_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Provide the menu and the header's counts (tasks waiting, notifications unread: one
    count query per kind of task) for signed-in people, reading their roles once."""
    from mamori.accounts.services.roles import permissions_remembered

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": []}
    with permissions_remembered():  # the view has acted; the menu reads the roles once
        return {
            "menu": menu_for(request),
            "task_count": badge_count(user),
            "unread_count": count_of(user, "unread"),
        }
