"""The API's request parser: JSON bodies, query strings and forms, refusing a NUL character.

A NUL (U+0000) cannot be stored in a PostgreSQL text or JSON column, and no name, reason or
identifier an exchange sends needs one. Refused here, at the edge, for every operation at
once: 422 ``nul_character`` naming the field (``body.reason``, ``query.q``) instead of a
database error deep in a module.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja.parser import Parser

from mamori.core.errors import Refused

__all__ = ["NulCharacter", "RefusingParser", "nul_path"]


class NulCharacter(Refused):
    """A value (or a key) of the request holds a NUL character."""

    def __init__(self, where: str) -> None:
        super().__init__(
            "nul_character",
            _("A value holds a NUL character, which mamori never stores."),
            fields=[(where, _("Remove the NUL character (U+0000)."))],
        )


def nul_path(value: Any, prefix: str) -> str | None:
    """Return the dotted path of the first string holding a NUL in ``value`` (a decoded JSON
    document), or None when there is none."""
    stack: list[tuple[str, Any]] = [(prefix, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path
        elif isinstance(item, dict):
            for key, inner in item.items():
                if "\x00" in key:
                    return path
                stack.append((f"{path}.{key}", inner))
        elif isinstance(item, list):
            stack.extend((f"{path}.{index}", inner) for index, inner in enumerate(item))
    return None


class RefusingParser(Parser):
    """Ninja's parser, refusing a NUL anywhere in what it parses."""

    def parse_body(self, request: HttpRequest) -> Any:
        """Decode the JSON body; a NUL in it is refused (ninja wraps the refusal, which
        ``mamori.core.api`` unwraps into its 422)."""
        data = json.loads(request.body)
        where = nul_path(data, "body")
        if where is not None:
            raise NulCharacter(where)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        """Read a query string, form or files; a NUL in a name or text value is refused."""
        for key, values in data.lists():
            if "\x00" in key or any(isinstance(v, str) and "\x00" in v for v in values):
                raise NulCharacter(key.replace("\x00", ""))
        return super().parse_querydict(data, list_fields, request)
