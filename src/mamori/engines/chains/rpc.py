"""JSON-RPC over HTTP with batches, timeouts and retries (JSON-RPC 2.0 §6 batches; Bitcoin
Core's 1.0-style answers are read the same way).

Transport faults — refused connection, timeout, HTTP 5xx without a JSON-RPC body, an answer
that is not JSON or not JSON-RPC — are retried ``retries`` times with a growing pause, then
raised as :class:`~mamori.engines.chains.base.NodeError`. An error *inside* one answer (a
reverting call, an unknown block) is returned to the caller as :class:`RpcFailure`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from mamori.engines.chains.base import NodeError

__all__ = ["JsonRpc", "RpcFailure", "RpcSettings", "masked_url"]


@dataclass(frozen=True)
class RpcSettings:
    """Where the node is and how patient to be with it."""

    url: str
    batch_size: int = 500
    timeout: float = 10.0
    retries: int = 3
    backoff: float = 0.2
    parallel: int = 2  # batches in flight at once (a node answers them on several cores)

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(
                f"a node URL starts with http:// or https://, got {masked_url(self.url)!r}"
            )
        if self.batch_size < 1:
            raise ValueError(f"batch size must be at least 1, got {self.batch_size}")
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")
        if self.retries < 0:
            raise ValueError(f"retries cannot be negative, got {self.retries}")
        if self.parallel < 1:
            raise ValueError(f"parallel must be at least 1, got {self.parallel}")


@dataclass(frozen=True)
class RpcFailure:
    """The node's error answer to one call: its code and message."""

    code: int
    message: str


def masked_url(url: str) -> str:
    """Return ``url`` without its password (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{parts.username}:***@{host}", parts.path, parts.query, ""))


class JsonRpc:
    """A JSON-RPC client for one node; ``client`` may be given (tests, connection reuse)."""

    def __init__(self, settings: RpcSettings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self._client = client or httpx.Client(timeout=settings.timeout)
        self.requests = 0  # HTTP requests sent, for benchmarks and tests
        self._count = threading.Lock()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """Call one method; an error answer raises :class:`NodeError` naming it."""
        answer = self.batch([(method, params)])[0]
        if isinstance(answer, RpcFailure):
            raise NodeError(f"{method} failed at {self.where}: {answer.message} ({answer.code})")
        return answer

    @property
    def where(self) -> str:
        """Return the node's URL without its password."""
        return masked_url(self.settings.url)

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]], size: int = 0) -> list[Any]:
        """Send ``calls`` in batches of ``size`` (default ``batch_size``), up to ``parallel`` at
        once; return each result or :class:`RpcFailure`, in order."""
        size = size or self.settings.batch_size
        chunks = [calls[start : start + size] for start in range(0, len(calls), size)]
        if len(chunks) <= 1 or self.settings.parallel == 1:
            answered = [self._send(chunk) for chunk in chunks]
        else:
            with ThreadPoolExecutor(min(self.settings.parallel, len(chunks))) as pool:
                answered = list(pool.map(self._send, chunks))
        return [result for chunk in answered for result in chunk]

    def _send(self, chunk: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        body = [
            {"jsonrpc": "2.0", "id": n, "method": method, "params": list(params)}
            for n, (method, params) in enumerate(chunk)
        ]
        return self._in_order(self._post(body), len(chunk))

    def _in_order(self, answers: list[Any], count: int) -> list[Any]:
        by_id: dict[int, Any] = {}
        for answer in answers:
            if not isinstance(answer, dict) or not isinstance(answer.get("id"), int):
                raise NodeError(
                    f"{self.where} answered a batch item without an id: {answer!r:.200}"
                )
            error = answer.get("error")
            if error:
                code = error.get("code", 0) if isinstance(error, dict) else 0
                message = (
                    error.get("message", str(error)) if isinstance(error, dict) else str(error)
                )
                by_id[answer["id"]] = RpcFailure(int(code), str(message))
            elif "result" in answer:
                by_id[answer["id"]] = answer["result"]
            else:
                raise NodeError(f"{self.where} answered neither result nor error: {answer!r:.200}")
        missing = [n for n in range(count) if n not in by_id]
        if missing:
            raise NodeError(f"{self.where} left {len(missing)} of {count} calls unanswered")
        return [by_id[n] for n in range(count)]

    def _post(self, body: list[dict[str, Any]]) -> list[Any]:
        payload = json.dumps(body).encode()
        headers = {"content-type": "application/json"}
        last = ""
        for attempt in range(self.settings.retries + 1):
            if attempt:
                time.sleep(self.settings.backoff * (2 ** (attempt - 1)))
            try:
                with self._count:
                    self.requests += 1
                response = self._client.post(self.settings.url, content=payload, headers=headers)
            except httpx.TimeoutException:
                last = f"no answer within {self.settings.timeout} s"
                continue
            except httpx.TransportError as exc:
                last = f"cannot reach the node ({type(exc).__name__}: {exc})"
                continue
            if response.status_code in (401, 403):
                raise NodeError(
                    f"{self.where} refused the credentials (HTTP {response.status_code})"
                )
            try:
                decoded = json.loads(response.content, parse_float=Decimal)
            except ValueError:
                last = (
                    f"HTTP {response.status_code} with a body that is not JSON: "
                    f"{response.content[:80]!r}"
                )
                continue
            if isinstance(decoded, dict) and len(body) == 1 and "id" in decoded:
                decoded = [decoded]  # a node that answers a one-call batch with one object
            if not isinstance(decoded, list):
                last = (
                    f"HTTP {response.status_code}: expected a JSON-RPC batch, got {decoded!r:.120}"
                )
                continue
            return decoded
        attempts = self.settings.retries + 1
        raise NodeError(f"{self.where}: {last} (after {attempts} attempts)")
