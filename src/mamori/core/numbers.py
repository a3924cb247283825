"""Record numbers as people and forms send them: ASCII digits, bounded, or nothing."""

from __future__ import annotations

__all__ = ["record_number"]

#: The most digits a record number may have (a 64-bit key has 19).
_MAX_DIGITS = 18


def record_number(text: str | None) -> int | None:
    """Return ``text`` as a record number, or None when it is not 1–18 ASCII digits.

    ``str.isdigit`` also accepts '²' and other Unicode digits that ``int`` refuses, and
    ``int`` refuses more than 4,300 digits: each was a server error before.
    """
    if not text or len(text) > _MAX_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)
