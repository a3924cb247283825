"""Custody's API refuses a body over the limit with 413 before reading it, whoever sends it
(issue 22: a 300 MB body for ``Bearer <anything>`` was read whole; over 2.5 MB gave 500)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import pytest

from mamori.custody.fastpath import gateway as custody_gateway
from tests.peers import free_port

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class Sender:
    """An ASGI client sending a body in chunks, counting what the application read."""

    def __init__(self, chunk: bytes, chunks: int) -> None:
        self.chunk, self.left, self.read = chunk, chunks, 0

    async def receive(self) -> dict[str, object]:
        self.left -= 1
        self.read += len(self.chunk)
        return {"type": "http.request", "body": self.chunk, "more_body": self.left > 0}


def through(app, headers: list[tuple[bytes, bytes]], sender: Sender, path: str) -> tuple:
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"accept-language", b"en"), *headers],
        "client": ("10.1.2.3", 5555),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, sender.receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body), sender.read


@pytest.fixture
def front():
    from mamori.asgi import django_application

    app = custody_gateway.Gateway(django_application)
    yield app
    app.stop()


@pytest.mark.parametrize("authorization", [b"Bearer anything", b"Bearer mamori_x_y", None])
@pytest.mark.parametrize("path", [custody_gateway.PATH, "/api/custody/events"])
def test_a_body_over_the_limit_is_refused_with_413_after_reading_no_more_than_the_limit(
    front, authorization, path
) -> None:
    headers = [(b"authorization", authorization)] if authorization else []
    chunk = b"x" * 16384
    sender = Sender(chunk, chunks=300 * 64)  # 300 MB, sent without a length
    status, body, read = through(front, headers, sender, path)
    assert status == 413 and body["code"] == "too_large" and body["fields"] == []
    assert "65,536 bytes" in body["message"]
    assert read <= custody_gateway.MAX_BODY + len(chunk)  # the rest was never read


def test_a_declared_length_over_the_limit_is_refused_before_any_of_the_body_is_read(
    front,
) -> None:
    headers = [(b"authorization", b"Bearer anything"), (b"content-length", b"300000000")]
    sender = Sender(b"x" * 16384, chunks=300 * 64)
    status, body, read = through(front, headers, sender, custody_gateway.PATH)
    assert (status, body["code"], read) == (413, "too_large", 0)


def test_a_real_server_answers_413_to_a_300_mb_check_without_waiting_for_its_body() -> None:
    import uvicorn

    from mamori.asgi import django_application

    app = custody_gateway.Gateway(django_application)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(
                b"POST /api/custody/withdrawals/check HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Authorization: Bearer anything\r\nContent-Type: application/json\r\n"
                b"Content-Length: 300000000\r\n\r\n" + b"{" * 1000
            )
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                data = client.recv(65536)
                if not data:
                    break
                answer += data
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413")
        assert json.loads(body)["code"] == "too_large"
    finally:
        server.should_exit = True
        thread.join(10)
        app.stop()


def test_a_signed_check_of_three_megabytes_gets_413_not_a_server_error(front) -> None:
    from mamori.accounts.services import tokens

    secret = tokens.issue("exchange", ["custody:check"], 30, None).secret
    raw = json.dumps({"request_id": "r", "customer": "c" * 3_000_000}).encode()
    headers = [
        (b"authorization", f"Bearer {secret}".encode()),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()),
    ]
    status, body, read = through(front, headers, Sender(raw, 1), custody_gateway.PATH)
    assert (status, body["code"], read) == (413, "too_large", 0)
