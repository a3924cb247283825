"""The withdrawal check at the speed the exchange needs (ISM 27-2, 27-3): an ASGI layer in front
of Django for ``POST /api/custody/withdrawals/check`` with a bearer token.

The exchange's services ask before every withdrawal, so an answer must come in milliseconds at
a thousand requests a second. Django's request cycle costs more than the decision itself (a
thread hop per request, the middleware chain, SQL built for every query), so this layer hands
the request's body and token to a decider: the leading decider process
(:mod:`mamori.custody.fastpath.decider`; ``mamori serve`` starts a leader and a standby), or a
thread of this process where no decider is configured. It decides everything waiting in one
transaction and answers once that is committed: an answer given is a decision stored. While no
decider leads (the leader died, a standby is taking over) a check waits up to
:data:`~mamori.custody.fastpath.wire.SWITCH_WAIT` seconds, then is answered 503 with
``Retry-After``: never decided elsewhere.

Only what can be answered exactly as the documented endpoint does is answered here: a
well-formed check with a usable token that has ``custody:check``. Everything else — malformed
JSON, a field out of its bounds, an unknown, expired or revoked token, a missing scope, a
signed-in person's session, a batch that failed — goes to Django's endpoint unchanged (with the
body already read), so every refusal and error still comes from one place. The success body is
rendered with the endpoint's renderer, and the headers are those Django's middleware gives an
API answer to the same kind of request (learned from Django once per kind).

Every request to custody's API (``/api/custody/``), authenticated or not, has its body bounded
here: one declared longer than :data:`MAX_BODY` is refused with 413 before any of it is read,
and one that turns out longer is refused as soon as the limit is passed, the rest unread. A
check is a few hundred bytes; no one can make a worker hold hundreds of megabytes.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from django.utils import translation
from django.utils.translation import gettext as _

from mamori.core.errors import Refused
from mamori.core.limits import language_of, too_large
from mamori.custody.fastpath.batches import Check, ThreadDecider
from mamori.custody.fastpath.wire import Address, DeciderClient, NoLeader, parse_addresses

__all__ = ["BOUNDED", "DECIDERS", "MAX_BODY", "PATH", "Gateway"]

log = logging.getLogger("mamori.custody.fastpath.gateway")

PATH = "/api/custody/withdrawals/check"
#: The environment variable that tells the web workers where the deciders listen
#: (comma-separated addresses; ``mamori serve`` sets it for the deciders it starts).
DECIDERS = "MAMORI_CUSTODY_DECIDER"
#: ``MAMORI_CUSTODY_FASTPATH=0`` sends every check to Django's endpoint (the benchmark measures
#: what the fast path is worth; an operator may turn it off).
FASTPATH = "MAMORI_CUSTODY_FASTPATH"
#: What a client told to come back is told: when.
RETRY_AFTER = b"1"
#: The requests whose bodies are bounded here (custody's API: JSON of a few fields each).
BOUNDED = "/api/custody/"
#: The longest body accepted there; a longer one is refused with 413, unread.
MAX_BODY = 64 * 1024
#: While a decision thread waits for the interpreter, the event loop gives it up this soon
#: (CPython's default, 5 ms, would be the floor of every answer's latency).
SWITCH_INTERVAL = 0.0005

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]  # Django types its handler's arguments its own way


class Gateway:
    """The ASGI application: the fast check in front of Django's application."""

    def __init__(self, app: ASGIApp, deciders: list[Address] | None = None) -> None:
        self.app = app
        self.deciders = deciders or parse_addresses(os.environ.get(DECIDERS, ""))
        self.fast = os.environ.get(FASTPATH, "1").strip() != "0"
        self._remote: DeciderClient | None = None
        self._remote_loop: asyncio.AbstractEventLoop | None = None
        self._thread: ThreadDecider | None = None
        self._settled = False
        self._lock = threading.Lock()
        self._headers: dict[tuple[Any, ...], list[tuple[bytes, bytes]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a fast check, refuse a body over the limit, or hand the request to Django."""
        if scope["type"] != "http" or not scope["path"].startswith(BOUNDED):
            await self.app(scope, receive, send)
            return
        body, whole = await _read(receive, _declared_length(scope))
        if body is None:
            return  # the client left before sending its request
        if not whole:
            await self._too_large(scope, send)
            return
        fast = self.fast and scope["path"] == PATH and scope["method"] == "POST"
        secret = _bearer(scope) if fast else None
        if secret is None:
            await self.app(scope, _replay(body), send)
            return
        # Django must be willing to answer such a request at all (its host allowed, over HTTPS
        # where TLS is on): else it answers, refusing or redirecting
        headers = await self._django_headers(scope)
        client = scope.get("client")
        # a request id as Django's middleware makes them: 32 random hex digits
        check = Check(secret, body, os.urandom(16).hex(), client[0] if client else None)
        try:
            answer = await self._decide(check) if headers is not None else None
        except NoLeader as exc:
            log.warning("a withdrawal check found no leading decider: %s", exc)
            await self._unavailable(scope, send, headers or [])
            return
        if headers is None or answer is None:
            await self.app(scope, _replay(body), send)
            return
        await _answer(send, 200, answer, [*headers, (b"x-request-id", check.request_id.encode())])

    async def _too_large(self, scope: Scope, send: Send) -> None:
        """Answer 413 with the API's error body, in the request's language, with the headers
        Django gives such a request (where it serves it at all)."""
        wanted = dict(scope["headers"])
        with translation.override(
            language_of(wanted.get(b"accept-language", b"").decode("latin-1"))
        ):
            answer, _kind = too_large(scope["path"], MAX_BODY)
        headers = await self._django_headers(scope) or []
        await _answer(send, 413, answer, [*headers, (b"connection", b"close")])

    async def _unavailable(
        self, scope: Scope, send: Send, headers: list[tuple[bytes, bytes]]
    ) -> None:
        """Answer 503 with ``Retry-After``: no decider leads just now (a switch under way)."""
        wanted = dict(scope["headers"])
        with translation.override(
            language_of(wanted.get(b"accept-language", b"").decode("latin-1"))
        ):
            body = Refused(
                "decider_unavailable",
                _(
                    "Withdrawal checks cannot be decided this moment: the custody deciders "
                    "are switching leader. Ask again in a second; nothing was decided."
                ),
                503,
            ).body()
        await _answer(
            send,
            503,
            orjson.dumps(body),
            [*headers, (b"retry-after", RETRY_AFTER)],
        )

    async def _decide(self, check: Check) -> bytes | None:
        """The leading decider's answer; a thread's of this process where none is configured
        (``NoLeader`` when deciders are configured but none leads in time)."""
        if not self._settled:
            self._settle()
        remote = self._remote_decider()
        if remote is not None:
            return await remote.decide(check)
        return await self._thread_decider().decide(check)

    def _remote_decider(self) -> DeciderClient | None:
        if not self.deciders:
            return None
        loop = asyncio.get_running_loop()
        if self._remote is None or self._remote_loop is not loop:
            self._remote, self._remote_loop = DeciderClient(self.deciders), loop
        return self._remote

    def _settle(self) -> None:
        """Once per process, before the first fast check: what is loaded by now lives as long
        as the process, so the collector stops rescanning it (a full collection of Django's
        objects would be a pause of tens of milliseconds), and a thread waiting for the
        interpreter gets it soon."""
        with self._lock:
            if not self._settled:
                gc.freeze()
                sys.setswitchinterval(SWITCH_INTERVAL)
                self._settled = True

    def _thread_decider(self) -> ThreadDecider:
        with self._lock:
            if self._thread is None:
                self._thread = ThreadDecider()
            return self._thread

    def stop(self) -> None:
        """End the decision thread once what it holds is decided, and the link to the decider
        process (tests; a server process simply exits)."""
        with self._lock:
            if self._thread is not None:
                self._thread.stop()
                self._thread = None
            if self._remote is not None:
                self._remote.stop()
                self._remote = None

    async def _django_headers(self, scope: Scope) -> list[tuple[bytes, bytes]] | None:
        """Return the headers Django's middleware puts on an API answer to a request like this
        one (security headers, Vary, Content-Language), learned once per kind of request —
        or None if Django answers such a request with anything but a 200 (a host it does not
        serve, plain HTTP where TLS is on). Only answers it gives are remembered, so the kinds
        are bounded by the hosts it serves."""
        wanted = dict(scope["headers"])
        key = (
            scope.get("scheme"),
            wanted.get(b"host"),
            wanted.get(b"x-forwarded-proto") == b"https",
            language_of(wanted.get(b"accept-language", b"").decode("latin-1")),
        )
        known = self._headers.get(key)
        if known is None:
            probe = {
                **scope,
                "method": "GET",
                "path": "/api/health",
                "raw_path": b"/api/health",
                "query_string": b"",
                "headers": [
                    (name, value)
                    for name, value in scope["headers"]
                    if name not in (b"authorization", b"cookie", b"content-length")
                ],
            }
            started: dict[str, Any] = {}

            async def capture(message: Message) -> None:
                if message["type"] == "http.response.start":
                    started.update(message)

            await self.app(probe, _replay(b""), capture)
            per_request = {b"content-type", b"content-length", b"x-request-id"}
            known = [
                (name.lower(), value)
                for name, value in started.get("headers", [])
                if name.lower() not in per_request
            ]
            if started.get("status") != 200:
                return None
            self._headers[key] = known
        return known


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            kind, _, secret = value.decode("latin-1").partition(" ")
            return secret.strip() if kind.lower() == "bearer" and secret.strip() else None
    return None


async def _answer(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    """Send a JSON answer with ``headers`` besides its type and length."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                *headers,
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _declared_length(scope: Scope) -> int | None:
    """Return the request's Content-Length, if it declares one that is a number."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _read(receive: Receive, declared: int | None) -> tuple[bytes | None, bool]:
    """Return the request body (None if the client left) and whether it is within
    :data:`MAX_BODY`. Reading stops as soon as the body is known to be longer — declared so,
    or counted so — and the rest is never read (the body is then ``b""``)."""
    if declared is not None and declared > MAX_BODY:
        return b"", False
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None, False
        part = message.get("body", b"")
        size += len(part)
        if size > MAX_BODY:
            return b"", False
        parts.append(part)
        if not message.get("more_body"):
            break
    return b"".join(parts), True


def _replay(body: bytes) -> Receive:
    """Return a ``receive`` that gives ``body`` once, then waits as a client would."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    return receive
