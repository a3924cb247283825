"""Dashboard widgets that modules add; each renders a template with its own context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.functional import Promise

__all__ = ["Widget", "register_widget", "widgets_for"]


@dataclass(frozen=True)
class Widget:
    """A dashboard panel: ``context`` returns None to hide it for this request."""

    code: str
    title: str | Promise
    template: str
    context: Callable[[HttpRequest], dict[str, Any] | None]
    order: int = 100


_WIDGETS: dict[str, Widget] = {}


def register_widget(widget: Widget) -> None:
    """Add ``widget`` to the dashboard (replacing one with the same code)."""
    _WIDGETS[widget.code] = widget


def widgets_for(request: HttpRequest) -> list[tuple[Widget, dict[str, Any]]]:
    """Return the widgets to show to ``request.user``, in order, with their contexts."""
    shown = []
    for widget in sorted(_WIDGETS.values(), key=lambda w: (w.order, w.code)):
        context = widget.context(request)
        if context is not None:
            shown.append((widget, context))
    return shown
