"""Every route refuses a body over its limit with 413 before reading it (issue 22): JSON and
forms 1 MiB, file uploads the evidence limit and a margin. Before, Django read 2.5 MB into
memory and the API answered 500 beyond it."""

from __future__ import annotations

import asyncio
import json

import pytest
from django.test import Client

from mamori.core.limits import FORM_LIMIT, BodyLimit

pytestmark = pytest.mark.django_db


def test_an_api_body_declared_over_the_limit_is_refused_with_the_error_body() -> None:
    answer = Client().post(
        "/api/notifications",
        b"x" * (FORM_LIMIT + 1),
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer anything",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert answer.status_code == 413
    assert answer.json()["code"] == "too_large"
    assert "1,048,576" in answer.json()["message"]


def test_a_page_body_over_the_limit_is_refused_too() -> None:
    answer = Client().post("/accounts/login/", b"x" * (FORM_LIMIT + 1), content_type="text/plain")
    assert answer.status_code == 413


def test_a_body_within_the_limit_reaches_the_route() -> None:
    answer = Client().post(
        "/api/notifications",
        b"{}",
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer anything",
    )
    assert answer.status_code == 401


class Endless:
    """A client sending 64 KiB chunks without end, counting what was read."""

    def __init__(self) -> None:
        self.read = 0

    async def receive(self) -> dict[str, object]:
        self.read += 65536
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}


def _through_asgi(headers: list[tuple[bytes, bytes]], client: Endless) -> tuple[int, dict]:
    from mamori.asgi import django_application

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/reconciliation/runs",
        "raw_path": b"/api/reconciliation/runs",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"accept-language", b"ja"), *headers],
        "client": ("10.1.2.3", 5555),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(BodyLimit(django_application)(scope, client.receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body)


def test_under_asgi_an_endless_body_is_cut_off_at_the_limit() -> None:
    client = Endless()
    status, body = _through_asgi([(b"content-type", b"application/json")], client)
    assert status == 413 and body["code"] == "too_large"
    assert "1,048,576 バイト" in body["message"]
    assert client.read <= FORM_LIMIT + 65536


def test_under_asgi_a_declared_length_over_the_limit_is_refused_unread() -> None:
    client = Endless()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"300000000")]
    status, body = _through_asgi(headers, client)
    assert status == 413 and body["code"] == "too_large"
    assert client.read == 0


def test_only_upload_routes_take_a_multipart_body_over_the_form_limit() -> None:
    from mamori.core.limits import limit_for

    multipart = "multipart/form-data; boundary=x"
    assert limit_for(multipart, "/accounts/login/") == FORM_LIMIT
    assert limit_for(multipart, "/api/notifications") == FORM_LIMIT
    for path in (
        "/rulebook/controls/DOC-CUS-03/evidence/",
        "/api/rulebook/controls/DOC-CUS-03/evidence",
        "/reconciliation/books/",
        "/api/reconciliation/books",
        "/risk/assessments/1/import/",
    ):
        assert limit_for(multipart, path) > FORM_LIMIT, path
    answer = Client().post(
        "/accounts/login/",
        b"x" * (FORM_LIMIT + 1),
        content_type="multipart/form-data; boundary=x",
    )
    assert answer.status_code == 413
