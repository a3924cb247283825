"""Template context of the accounts app: the organisation's name on every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

__all__ = ["organisation"]


def organisation(request: HttpRequest) -> dict[str, Any]:
    """Provide ``organisation`` (None before ``mamori setup`` named it)."""
    from mamori.accounts.models import Organisation

    return {"organisation": Organisation.current()}
