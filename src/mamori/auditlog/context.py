"""Who is acting, from where, in which request: read by every entry the request causes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

from django.http import HttpRequest, HttpResponse

__all__ = [
    "AuditContext",
    "AuditContextMiddleware",
    "acting",
    "because",
    "current",
    "set_actor",
]


@dataclass(frozen=True)
class AuditContext:
    """The actor (``user:alice``, ``token:ab12…``, ``system:worker``), request id, address,
    and the reason a person gave for what the entries record (empty if none)."""

    actor: str = "system"
    request_id: str = ""
    ip: str | None = None
    reason: str = ""


_DEFAULT = AuditContext()
_CURRENT: ContextVar[AuditContext | None] = ContextVar("mamori_audit", default=None)


def current() -> AuditContext:
    """Return the context entries are recorded under now."""
    return _CURRENT.get() or _DEFAULT


def set_actor(actor: str) -> None:
    """Name the actor of the current context (e.g. once a token is authenticated)."""
    _CURRENT.set(replace(current(), actor=actor))


@contextmanager
def acting(
    actor: str, request_id: str | None = None, ip: str | None = None
) -> Iterator[AuditContext]:
    """Record entries inside the block as ``actor`` with one request id (jobs, CLI, workers,
    and requests answered outside Django's middleware) and the client's address."""
    token = _CURRENT.set(AuditContext(actor, request_id or uuid.uuid4().hex, ip))
    try:
        yield current()
    finally:
        _CURRENT.reset(token)


@contextmanager
def because(reason: str) -> Iterator[AuditContext]:
    """Record entries inside the block with the reason a person gave (a halt's lift, a case's
    new owner): each entry carries it in its details, and a record's History shows it."""
    token = _CURRENT.set(replace(current(), reason=reason))
    try:
        yield current()
    finally:
        _CURRENT.reset(token)


class AuditContextMiddleware:
    """Give each request an id (also sent back as ``X-Request-ID``) and name its actor."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        actor = (
            f"user:{user.username}" if user is not None and user.is_authenticated else "anonymous"
        )
        context = AuditContext(actor, uuid.uuid4().hex, request.META.get("REMOTE_ADDR"))
        token = _CURRENT.set(context)
        try:
            response = self.get_response(request)
        finally:
            _CURRENT.reset(token)
        response["X-Request-ID"] = context.request_id
        return response
