"""Request–reply over NATS: an app registers a handler for a subject; ``mamori worker``
answers its requests (a queue group per subject, so each request is answered once however
many workers run). Used where a caller waits for an answer — the pre-sign check
(``mamori.keys.presign.verify``) — rather than for events consumed later (:mod:`.bus`).

A handler takes the request's body and headers and returns the JSON reply; it runs in a
thread of the pool (it may use the ORM), and an exception is answered
``{"error": {"code": "internal_error", …}}`` and logged, never left unanswered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Handler", "Responders", "register_responder", "responders"]

log = logging.getLogger("mamori.events.responders")
Handler = Callable[[bytes, dict[str, str]], dict[str, Any]]


@dataclass(frozen=True)
class _Registered:
    subject: str
    queue: str
    handler: Handler


_REGISTERED: dict[str, _Registered] = {}


def register_responder(subject: str, queue: str, handler: Handler) -> None:
    """Answer requests on ``subject`` (``mamori.<app>.…``) with ``handler``."""
    _REGISTERED[subject] = _Registered(subject, queue, handler)


def responders() -> list[str]:
    """Return the subjects answered."""
    return sorted(_REGISTERED)


class Responders:
    """Every registered responder, on one connection and one thread, until :meth:`stop`."""

    def __init__(self, url: str, prefix: str = "") -> None:
        self.url = url
        self.prefix = f"{prefix}." if prefix else ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, daemon=True, name="mamori-responders"
        )
        self._nc: Any = None

    def start(self, timeout: float = 10.0) -> Responders:
        """Connect and subscribe; return once requests are answered."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._subscribe(), self._loop).result(timeout)
        return self

    async def _subscribe(self) -> None:
        import nats

        self._nc = await nats.connect(self.url, name="mamori-responders")
        for registered in _REGISTERED.values():
            await self._nc.subscribe(
                self.prefix + registered.subject,
                queue=registered.queue,
                cb=self._answering(registered.handler),
            )
        await self._nc.flush()

    @staticmethod
    def _answering(handler: Handler) -> Callable[[Any], Any]:
        async def on_request(message: Any) -> None:
            headers = dict(message.headers or {})
            loop = asyncio.get_running_loop()
            try:
                reply = await loop.run_in_executor(None, handler, message.data, headers)
            except Exception:
                log.exception("request on %s failed", message.subject)
                reply = {"error": {"code": "internal_error", "message": "not answered"}}
            await message.respond(json.dumps(reply).encode())

        return on_request

    def stop(self) -> None:
        """Drain the subscriptions and stop the thread."""
        if self._nc is not None:
            asyncio.run_coroutine_threadsafe(self._nc.drain(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
