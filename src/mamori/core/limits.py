"""Bounds on request bodies, for every page and API route: refused with 413 before being read.

A JSON or form body is a few kilobytes; only a file upload (evidence, a book) is large, and
never larger than ``MAMORI_EVIDENCE_MAX_BYTES`` and a margin for the form around it. A body
that declares a longer ``Content-Length`` is refused unread; under ASGI one that turns out
longer (no length declared, or a false one) is refused as soon as the count passes the limit,
the rest unread. The answer is the API's error body (``too_large``) for ``/api/``, plain text
elsewhere, in the request's language.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import get_supported_language_variant
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

__all__ = [
    "FORM_LIMIT",
    "UPLOAD_PATHS",
    "BodyLimit",
    "BodyLimitMiddleware",
    "language_of",
    "limit_for",
    "too_large",
]

#: The longest body that is not a file upload.
FORM_LIMIT = 1024 * 1024
#: What a multipart form may carry besides its file.
_FORM_MARGIN = 1024 * 1024

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


#: The routes that take a file (evidence, a book, a workbook, a roster or wallet list): only a
#: multipart request to one of them may be longer than :data:`FORM_LIMIT` — not the sign-in
#: page, whatever content type a client claims.
UPLOAD_PATHS = re.compile(
    r"^/(?:api/)?(?:"
    r"rulebook/controls/[^/]+/evidence"
    r"|reconciliation/books"
    r"|risk/assessments/\d+/import"
    r"|accounts/[a-z]+/import"
    r"|custody/[a-z]+/import"
    r")/?$"
)


def limit_for(content_type: str, path: str = "") -> int:
    """Return the longest body accepted with ``content_type`` at ``path``."""
    if content_type.lower().startswith("multipart/form-data") and UPLOAD_PATHS.match(path):
        return int(settings.CONFIG.evidence_max_bytes) + _FORM_MARGIN
    return FORM_LIMIT


def _message(limit: int) -> str:
    return _("The request body is larger than the limit of %(limit)s bytes; it was not read.") % {
        "limit": f"{limit:,}"
    }


def too_large(path: str, limit: int) -> tuple[bytes, bytes]:
    """Return the body and content type of a 413 answer for ``path``."""
    if path.startswith("/api/"):
        body = {"code": "too_large", "message": _message(limit), "fields": []}
        return json.dumps(body, ensure_ascii=False).encode(), b"application/json; charset=utf-8"
    return _message(limit).encode(), b"text/plain; charset=utf-8"


class BodyLimitMiddleware:
    """Refuse (413) a request whose declared ``Content-Length`` passes its limit, before the
    body is read (the WSGI server and the test client; ASGI is bounded by :class:`BodyLimit`
    before Django, which reads a body whole before its middleware runs)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """Answer 413 for a body declared too long; else go on."""
        limit = limit_for(request.META.get("CONTENT_TYPE", ""), request.path)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            body, kind = too_large(request.path, limit)
            return HttpResponse(body, status=413, content_type=kind.decode())
        return self.get_response(request)


class BodyLimit:
    """ASGI wrapper bounding every request body before the application reads it."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a body declared or counted past its limit; hand the rest on unchanged."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = limit_for(headers.get(b"content-type", b"").decode("latin-1"), scope["path"])
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            await _refuse(scope, send, limit)
            return
        state = {"count": 0, "over": False, "started": False}

        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["count"] += len(message.get("body", b""))
                if state["count"] > limit:
                    state["over"] = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            if state["over"]:
                return  # the application saw the client leave; the refusal is ours
            state["started"] = True
            await send(message)

        await self.app(scope, counted, guarded)
        if state["over"] and not state["started"]:
            await _refuse(scope, send, limit)


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    accept = dict(scope.get("headers") or []).get(b"accept-language", b"").decode("latin-1")
    with translation.override(language_of(accept)):
        body, kind = too_large(scope.get("path", ""), limit)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def language_of(accept: str) -> str:
    """Return the supported language an ``Accept-Language`` header asks for first (the
    default language when it asks for none): for answers made before Django's middleware."""
    for code, _quality in parse_accept_lang_header(accept):
        try:
            return str(get_supported_language_variant(code))
        except LookupError:
            continue
    return str(settings.LANGUAGE_CODE)
