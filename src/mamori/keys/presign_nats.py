"""The pre-sign check over NATS request–reply (ISM 29-1-4).

A co-signer sends the request body of ``POST /api/keys/presign`` to the subject
``mamori.keys.presign.verify`` (under the installation's prefix, if any) with the header
``Authorization: Bearer <token>``; the reply is the same JSON as the HTTP answer, or
``{"error": {"code": …, "message": …}}`` — ``unauthorized`` (no or unknown token),
``scope_missing`` (the token lacks ``keys:presign``), ``permission_missing`` (its issuer no
longer holds ``keys.presign``), ``bad_request`` (the body). Responders share the queue group
``mamori-presign``: every worker answers (:mod:`mamori.events.responders`), each request once.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import close_old_connections

from mamori.accounts.services import tokens
from mamori.accounts.services.roles import has_permission
from mamori.core.errors import Refused
from mamori.core.scopes import permission_for

__all__ = ["QUEUE", "SUBJECT", "handle"]

SUBJECT = "mamori.keys.presign.verify"
QUEUE = "mamori-presign"
SCOPE = "keys:presign"


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def handle(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """Answer one request: the token checked as the HTTP API checks it, then the answer."""
    from mamori.keys import presign
    from mamori.keys.api_presign import answer_body

    close_old_connections()
    scheme, _, secret = headers.get("Authorization", "").partition(" ")
    token = tokens.authenticate(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        return _error("unauthorized", "a valid bearer token is required")
    if SCOPE not in token.scopes:
        return _error("scope_missing", f"the token lacks the scope {SCOPE}")
    issuer = token.created_by
    if issuer is not None and not has_permission(issuer, permission_for(SCOPE)):
        return _error("permission_missing", "the token's issuer no longer holds keys.presign")
    try:
        payload = json.loads(body)
        record, verdict = presign.answer(presign.read(payload), f"token:{token.name}", "nats")
    except json.JSONDecodeError as error:
        return _error("bad_request", f"the body is not JSON: {error}")
    except Refused as refused:
        return _error(refused.code, str(refused.message))
    return answer_body(record, verdict.as_dict())
