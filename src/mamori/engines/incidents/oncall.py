"""Who is on call in a weekly rotation (SRM 9-3-3). Framework-free."""

from __future__ import annotations

from datetime import date

__all__ = ["on_call_index"]


def on_call_index(members: int, starts_on: date, today: date) -> int | None:
    """Return the position (0-based) of the member on call on ``today`` in a weekly rotation of
    ``members`` people starting with position 0 on ``starts_on``; ``None`` when nobody is on the
    rotation or it has not started."""
    if members <= 0 or today < starts_on:
        return None
    return ((today - starts_on).days // 7) % members
