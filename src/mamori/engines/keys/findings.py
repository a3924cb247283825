"""What the key engine reports: a finding per subject and check (ISM 28, 29).

A :class:`Finding` says whether one check holds for one subject (a wallet, a key, a ceremony
output) and, when it does not, exactly why: the expected and the observed value, and for
spread rules the pairs of keys in conflict. Codes are stable: a caller may store them, count
them and translate them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Conflict", "Finding"]


@dataclass(frozen=True, order=True)
class Conflict:
    """Two placements (keys, shares or backups) that share a value they must not share."""

    first: str
    second: str
    attribute: str
    value: str

    def explain(self) -> str:
        """Say which two keys share what."""
        return f"{self.first} and {self.second} share {self.attribute} {self.value!r}"


@dataclass(frozen=True)
class Finding:
    """One check of one subject: ``holds`` or not, with the reason in ``message``.

    ``code`` is stable (``spread.unit_apart``, ``policy.curve``, ``ceremony.address`` ...);
    ``expected`` and ``got`` say what was wanted and what was found; ``conflicts`` names the
    exact keys in conflict for spread rules.
    """

    code: str
    subject: str
    holds: bool
    article: str
    message: str
    expected: str = ""
    got: str = ""
    conflicts: tuple[Conflict, ...] = ()

    @property
    def keys(self) -> frozenset[str]:
        """Return every key, share or backup named in a conflict."""
        return frozenset(
            name for conflict in self.conflicts for name in (conflict.first, conflict.second)
        )
