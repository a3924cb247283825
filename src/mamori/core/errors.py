"""The one domain error contract: a refusal with a stable code, a message people read, the
HTTP status it answers with and, when it helps, what is wrong with each field.

Every module's refusals derive from :class:`Refused`; ``mamori.core.api`` turns any of them
into the answer ``{"code", "message", "fields"}`` with ``status``. Pages and the command line
show :meth:`Refused.shown`. The message is translated where it is made (``gettext`` with
parameters), so it reads in the language of the request that caused it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["FieldProblem", "Refused"]


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field (``field`` as the request names it)."""

    field: str
    message: str


class Refused(Exception):
    """A change or request refused by the domain.

    ``code`` is a stable snake_case word for machines; ``message`` says why, for people;
    ``status`` is the HTTP status it answers with (422 refused input, 409 conflict or stale
    state, 404 not found, 403 not allowed); ``fields`` names each bad field.
    """

    #: The status of a refusal that does not name one.
    status: int = 422

    def __init__(
        self,
        code: str,
        message: Any,
        status: int | None = None,
        fields: Iterable[FieldProblem | tuple[str, str]] = (),
    ) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = str(message)
        if status is not None:
            self.status = status
        self.fields = tuple(
            f if isinstance(f, FieldProblem) else FieldProblem(str(f[0]), str(f[1])) for f in fields
        )

    def __str__(self) -> str:
        return self.message

    def shown(self) -> str:
        """Return the refusal as a person reads it (a subclass may add a headline)."""
        return self.message

    def body(self) -> dict[str, Any]:
        """Return the error body of an API answer."""
        return {
            "code": self.code,
            "message": self.shown(),
            "fields": [{"field": f.field, "message": f.message} for f in self.fields],
        }
