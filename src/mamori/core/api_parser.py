"""Requests holding a NUL character are refused at the edge.

A NUL (U+0000) cannot be stored in a PostgreSQL text or JSON column, and no name, reason or
identifier an exchange sends needs one. Refused before any module sees it — 422
``nul_character`` naming where (``body.reason``, ``q``, ``path``) instead of a database error
deep in a module:

- :class:`RefusingParser`, the API's parser: JSON bodies, query strings, forms;
- :class:`NulRefusalMiddleware`: the URL path (path parameters) and the raw query string of
  every request, the pages' too (400 there);
- :func:`refuse_nul`: for the views that read a signed body themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja.parser import Parser

from mamori.core.errors import Refused

__all__ = ["NulCharacter", "NulRefusalMiddleware", "RefusingParser", "nul_path", "refuse_nul"]


class NulCharacter(Refused):
    """A value (or a key) of the request holds a NUL character."""

    def __init__(self, where: str) -> None:
        super().__init__(
            "nul_character",
            _("A value holds a NUL character, which mamori never stores."),
            fields=[(where, _("Remove the NUL character (U+0000)."))],
        )


def _holds_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            if any("\x00" in key for key in item):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def nul_path(value: Any, prefix: str) -> str | None:
    """Return the dotted path of the first string holding a NUL in ``value`` (a decoded JSON
    document), or None when there is none (looked for first without naming paths: a large
    body holding none costs no path per element)."""
    if not _holds_nul(value):
        return None
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


def refuse_nul(data: Any, prefix: str = "body") -> None:
    """Raise :class:`NulCharacter` when a string of ``data`` (a decoded JSON document) holds
    a NUL."""
    where = nul_path(data, prefix)
    if where is not None:
        raise NulCharacter(where)


class NulRefusalMiddleware:
    """Refuse a request whose URL path or query string holds a NUL (``%00``): 422 with the
    error body on the API, 400 on pages — and, on pages, a posted form field holding one (a
    view that reads ``request.POST`` itself has no form field to refuse it; the API's parser
    refuses its own)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        where = None
        if "\x00" in request.path_info:
            where = "path"
        elif b"\x00" in unquote_to_bytes(query.replace("+", " ")):
            where = "query"
        elif not request.path_info.startswith("/api/"):
            where = _nul_in_form(request)
        if where is None:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return JsonResponse(NulCharacter(where).body(), status=422)
        return HttpResponseBadRequest(
            _("A value holds a NUL character, which mamori never stores."),
            content_type="text/plain; charset=utf-8",
        )


_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _nul_in_form(request: HttpRequest) -> str | None:
    """The name of a posted form field (not a file) holding a NUL, if any."""
    if request.method != "POST" or not (request.content_type or "").startswith(_FORMS):
        return None
    try:
        fields = request.POST
    except Exception:  # a malformed body: Django refuses it where the view reads it
        return None
    for key, values in fields.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            return key.replace("\x00", "")
    return None


class RefusingParser(Parser):
    """Ninja's parser, refusing a NUL anywhere in what it parses."""

    def parse_body(self, request: HttpRequest) -> Any:
        """Decode the JSON body; a NUL in it is refused (ninja wraps the refusal, which
        ``mamori.core.api`` unwraps into its 422)."""
        data = json.loads(request.body)
        refuse_nul(data)
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        """Read a query string, form or files; a NUL in a name or text value is refused."""
        for key, values in data.lists():
            if "\x00" in key or any(isinstance(v, str) and "\x00" in v for v in values):
                raise NulCharacter(key.replace("\x00", ""))
        return super().parse_querydict(data, list_fields, request)
