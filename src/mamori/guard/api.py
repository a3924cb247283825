"""API of guard for the edge and the exchange's services (SRM 10-2).

Only a service token with scope ``guard:read`` (never a person's session: people read the
pages) reads:

- ``GET /api/guard/blocks`` — the active blocks as JSON;
- ``GET /api/guard/blocks/nginx`` — an nginx include (``deny 203.0.113.7;`` per line);
- ``GET /api/guard/blocks/haproxy`` — a HAProxy ACL file (one network per line);
- ``GET /api/guard/functions`` — the kill switch: each customer-facing function's state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from mamori.core.api import TokenAuth
from mamori.guard.services import blocks, functions

__all__ = ["router"]

router = Router(tags=["guard"])

EDGE = [TokenAuth("guard:read")]


class GuardBlockOut(Schema):
    """A blocked address or network, since when and until when (none: until lifted)."""

    network: str
    blocked_at: datetime
    expires_at: datetime | None


class GuardFunctionOut(Schema):
    """A customer-facing function and its state: on, degraded or off."""

    code: str
    name_ja: str
    name_en: str
    state: str
    changed_at: datetime | None


#: What the OpenAPI document says the edge's text files are.
TEXT_FILE = {
    "responses": {
        "200": {
            "description": "the file, one line per blocked network",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    }
}


def _text(body: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/blocks", response=list[GuardBlockOut], auth=EDGE)
def block_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The active blocks, by network."""
    return blocks.as_json()


@router.get("/blocks/nginx", auth=EDGE, openapi_extra=TEXT_FILE)
def block_nginx(request: HttpRequest) -> HttpResponse:
    """The active blocks as an nginx include: ``deny <address or network>;`` per line."""
    return _text(blocks.nginx_deny())


@router.get("/blocks/haproxy", auth=EDGE, openapi_extra=TEXT_FILE)
def block_haproxy(request: HttpRequest) -> HttpResponse:
    """The active blocks as a HAProxy ACL file: one network per line."""
    return _text(blocks.haproxy_acl())


@router.get("/functions", response=list[GuardFunctionOut], auth=EDGE)
def function_states(request: HttpRequest) -> list[dict[str, Any]]:
    """Each customer-facing function's state (the kill switch others obey)."""
    return functions.states()
