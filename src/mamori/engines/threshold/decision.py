"""What the threshold monitor decided for one event (ISM 27-3: halt, hold or allow, and why).

A :class:`Decision` names the event, the action, the machine-readable reasons and the halts
the event started. One is made for every event, so it is a compiled class of its own: made
from compiled code it costs about 250 machine instructions, where the named tuple it replaced
cost 1,500 (its constructor is reached through ``tuple.__new__``'s argument parsing; counted
with callgrind on the custody benchmark). It is immutable (its fields are ``Final``; compiled,
they cannot be set), compares and hashes by value, pickles, and prints like that named tuple.
"""

from __future__ import annotations

from typing import Final

from mamori.engines.threshold.model import Action, Halt
from mamori.engines.threshold.reason import Reason

__all__ = ["Decision"]


class Decision:
    """The decision for one event, with machine-readable reasons and halts it started."""

    __slots__ = ("action", "event", "halts", "reasons")

    def __init__(
        self,
        event: str,
        action: Action,
        reasons: tuple[Reason, ...] = (),
        halts: tuple[Halt, ...] = (),
    ) -> None:
        self.event: Final = event
        self.action: Final = action
        self.reasons: Final = reasons
        self.halts: Final = halts

    @property
    def codes(self) -> tuple[str, ...]:
        """Return the reason codes, for quick comparison."""
        return tuple(r.code for r in self.reasons)

    def replace(
        self, action: Action | None = None, reasons: tuple[Reason, ...] | None = None
    ) -> Decision:
        """Return this decision with another action or other reasons."""
        return Decision(
            self.event,
            self.action if action is None else action,
            self.reasons if reasons is None else reasons,
            self.halts,
        )

    def _fields(self) -> tuple[str, Action, tuple[Reason, ...], tuple[Halt, ...]]:
        return (self.event, self.action, self.reasons, self.halts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return self._fields() == other._fields()

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return self._fields() != other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __reduce__(self) -> tuple[type[Decision], tuple[object, ...]]:
        return (Decision, self._fields())

    def __repr__(self) -> str:
        return (
            f"Decision(event={self.event!r}, action={self.action!r}, "
            f"reasons={self.reasons!r}, halts={self.halts!r})"
        )
