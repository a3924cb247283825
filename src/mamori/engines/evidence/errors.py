"""The one refusal of the evidence parsers (SRM 15, 16, 18, 19, 20).

Evidence from the delivery pipeline is either read whole and summarised or refused: a truncated,
malformed, oversized or hostile file never yields a half summary. The refusal names where the
reader stopped — a line and column of an XML document, a JSON path, or a byte count — so the
pipeline's owner can find the fault in the file they sent.
"""

from __future__ import annotations

__all__ = ["EvidenceRefused"]


class EvidenceRefused(ValueError):
    """A file that cannot be taken as evidence, with a code, what was wrong and where.

    ``code`` is one of ``too_large``, ``malformed``, ``forbidden_markup``, ``wrong_shape``,
    ``unknown_format``; ``where`` is a line/column, a JSON path or a byte offset.
    """

    def __init__(self, code: str, message: str, where: str = "") -> None:
        self.code = code
        self.detail = message
        self.where = where
        super().__init__(f"{message} (at {where})" if where else message)
