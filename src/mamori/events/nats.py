"""NATS JetStream implementation of the bus (``MAMORI_NATS_URL``).

One stream (``MAMORI`` by default) holds every ``mamori.>`` subject; JetStream deduplicates a
re-published event by its ``Nats-Msg-Id`` (the event id). Each subscription is a durable pull
consumer: a message is acknowledged only after its handler committed, so a crash means
redelivery, and :func:`handle_once` makes redelivery harmless. nats-py is asyncio; this class
runs its own event loop in a thread and offers a synchronous API to Django code.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Coroutine
from datetime import datetime
from typing import Any, TypeVar

import nats
from nats.js.api import ConsumerConfig, StreamConfig
from nats.js.errors import NotFoundError

from mamori.events.subscriptions import Event, Subscription, handle_once, subscriptions

__all__ = ["NatsBus"]

log = logging.getLogger("mamori.events.nats")
T = TypeVar("T")


class NatsBus:
    """Publish to and consume from NATS JetStream."""

    def __init__(
        self,
        url: str,
        stream: str = "MAMORI",
        prefix: str = "",
        timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.stream = stream
        self.prefix = f"{prefix}." if prefix else ""
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, daemon=True, name="mamori-nats"
        )
        self._thread.start()
        self._nc: Any = None
        self._js: Any = None
        self._pulls: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(self.timeout * 3)

    async def _connect(self) -> Any:
        if self._nc is None or self._nc.is_closed:
            self._nc = await nats.connect(
                self.url,
                connect_timeout=self.timeout,
                max_reconnect_attempts=1,
                allow_reconnect=False,
            )
            self._js = self._nc.jetstream(timeout=self.timeout)
            config = StreamConfig(
                name=self.stream, subjects=[f"{self.prefix}mamori.>"], duplicate_window=120.0
            )
            try:
                await self._js.stream_info(self.stream)
            except NotFoundError:
                await self._js.add_stream(config)
            self._pulls = {}
        return self._js

    def ensure_stream(self) -> None:
        """Connect and create the stream if it does not exist yet."""
        with self._lock:
            self._run(self._connect())

    def deliver(self, event: Event) -> None:
        """Publish ``event`` and wait for JetStream's acknowledgement."""
        body = json.dumps(
            {
                "id": event.event_id,
                "subject": event.subject,
                "data": event.data,
                "occurred_at": event.occurred_at.isoformat(),
            },
            ensure_ascii=False,
        ).encode("utf-8")

        async def send() -> None:
            js = await self._connect()
            await js.publish(
                self.prefix + event.subject, body, headers={"Nats-Msg-Id": event.event_id}
            )

        with self._lock:
            self._run(send())

    async def _pull(self, subscription: Subscription) -> Any:
        js = await self._connect()
        if subscription.consumer not in self._pulls:
            self._pulls[subscription.consumer] = await js.pull_subscribe(
                self.prefix + subscription.pattern,
                durable=subscription.consumer,
                stream=self.stream,
                config=ConsumerConfig(ack_wait=30.0, max_deliver=-1),
            )
        return self._pulls[subscription.consumer]

    def consume(self, max_messages: int = 100, timeout: float = 1.0) -> int:
        """Fetch the waiting messages of every subscription at once — an idle subscription
        never delays a busy one: a poll waits at most ``timeout`` — and handle them, each
        acknowledged after its handler committed; return how many were new."""
        handled = 0
        current = subscriptions()
        with self._lock:
            fetched = self._run(self._fetch_all(current, max_messages, timeout))
        for subscription, messages in zip(current, fetched, strict=True):
            for message in messages:
                payload = json.loads(message.data)
                event = Event(
                    payload["subject"],
                    payload["id"],
                    payload["data"],
                    datetime.fromisoformat(payload["occurred_at"]),
                )
                try:
                    handled += handle_once(subscription, event)
                except Exception:
                    log.exception("consumer %s failed on %s", subscription.consumer, event.event_id)
                    with self._lock:
                        self._run(message.nak(delay=5))
                    continue
                with self._lock:
                    self._run(message.ack_sync(timeout=self.timeout))
        return handled

    async def _fetch_all(
        self, current: list[Subscription], batch: int, timeout: float
    ) -> list[list[Any]]:
        await self._connect()  # once, before the fetches run side by side
        return list(await asyncio.gather(*(self._fetch(s, batch, timeout) for s in current)))

    async def _fetch(self, subscription: Subscription, batch: int, timeout: float) -> list[Any]:
        """Return the waiting messages of ``subscription``; none when the wait ends empty.

        nats-py ends an empty wait with its own ``TimeoutError`` or with asyncio's (the
        built-in one), depending on where the wait was cut; both mean "nothing now". A
        consumer the broker did not create in time is tried again at the next call.
        """
        try:
            pull = await self._pull(subscription)
        except (nats.errors.TimeoutError, TimeoutError):
            log.warning("JetStream did not set up consumer %s in time", subscription.consumer)
            return []
        try:
            return list(await pull.fetch(batch, timeout=timeout))
        except (nats.errors.TimeoutError, TimeoutError):
            return []

    def delete_stream(self) -> None:
        """Remove the stream (tests)."""

        async def remove() -> None:
            js = await self._connect()
            await js.delete_stream(self.stream)

        with self._lock:
            self._run(remove())

    def close(self) -> None:
        """Close the connection and stop the loop thread."""

        async def shut() -> None:
            if self._nc is not None and not self._nc.is_closed:
                await self._nc.close()

        try:
            self._run(shut())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
