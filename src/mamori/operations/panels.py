"""Panels other modules add to an incident's page (reports, containment, notices, reviews).

A module registers ``register_panel("mymodule/_incident_panel.html", context_fn)`` from its
registrations; the incident page (``{% block incident_panels %}`` of
``operations/incident.html``) includes each panel's template with the page's context
(``incident``, ``can_manage``...) and ``panel`` set to what ``context_fn(request, incident)``
returns (a dict; ``None`` hides the panel).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

__all__ = ["Panel", "panels_for", "register_panel"]

ContextFn = Callable[[HttpRequest, Any], "dict[str, Any] | None"]


@dataclass(frozen=True)
class Panel:
    """One section of the incident page: a template and what it needs."""

    template_name: str
    context_fn: ContextFn
    order: int = 100


_panels: dict[str, Panel] = {}


def register_panel(template_name: str, context_fn: ContextFn, order: int = 100) -> None:
    """Add a section to the incident page (registering the same template again replaces it)."""
    _panels[template_name] = Panel(template_name, context_fn, order)


def panels_for(request: HttpRequest, incident: Any) -> list[dict[str, Any]]:
    """Return the panels to show for ``incident``: ``{"template": ..., "context": ...}``."""
    shown: list[dict[str, Any]] = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.template_name)):
        context = panel.context_fn(request, incident)
        if context is not None:
            shown.append({"template": panel.template_name, "context": context})
    return shown
