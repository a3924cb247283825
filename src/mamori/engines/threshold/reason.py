"""Why the threshold monitor decided as it did: one :class:`Reason` per rule reached or check
failed (ISM 27-3: the responsible person is told which threshold, by how much).

A reason has a stable ``code``, the ``rule``, what was ``observed`` against which ``limit``
and a ``message`` in words. A threshold reached on the hot path is made with
:func:`reached`, which keeps the text around the observed amount and writes the message only
when it is first read: most reasons are counted and stored, few are read, and formatting each
one cost about a tenth of a decision (measured on the custody benchmark). Equal reasons
compare and hash equal however they were made.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["Reason", "reached"]


class Reason:
    """Why: a stable ``code``, the rule, what was observed against which limit, in words."""

    __slots__ = ("_after", "_before", "_message", "code", "limit", "observed", "rule")

    def __init__(
        self,
        code: str,
        message: str,
        rule: str | None = None,
        observed: int | Decimal | None = None,
        limit: int | Decimal | None = None,
    ) -> None:
        self.code = code
        self._message: str | None = message
        self._before = ""
        self._after = ""
        self.rule = rule
        self.observed = observed
        self.limit = limit

    @property
    def message(self) -> str:
        """Return the reason in words (the observed amount between its two parts)."""
        message = self._message
        if message is None:
            message = self._message = f"{self._before}{self.observed}{self._after}"
        return message

    def _key(self) -> tuple[str, str, str | None, int | Decimal | None, int | Decimal | None]:
        return (self.code, self.message, self.rule, self.observed, self.limit)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Reason):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __reduce__(self) -> tuple[type[Reason], tuple[object, ...]]:
        return (Reason, self._key())

    def __repr__(self) -> str:
        return (
            f"Reason(code={self.code!r}, message={self.message!r}, rule={self.rule!r}, "
            f"observed={self.observed!r}, limit={self.limit!r})"
        )


def reached(
    code: str,
    before: str,
    observed: int | Decimal,
    after: str,
    rule: str,
    limit: int | Decimal,
) -> Reason:
    """Return the reason of a threshold reached; its message, ``before`` + the observed
    amount + ``after``, is written when first read."""
    reason = Reason(code, "", rule, observed, limit)
    reason._message = None
    reason._before = before
    reason._after = after
    return reason
