"""Signed webhooks from outside: the sender's HMAC-SHA256 over ``<timestamp>.<body>`` with a
shared secret, and a timestamp within five minutes, so a body cannot be forged or replayed
later. A receiver that also reads parameters outside the body (a query string naming what the
body is for) passes them as ``context``: the signature is then over
``<timestamp>.<context>.<body>``, so they cannot be changed on a captured request. One
implementation for every module that takes events this way (key-backup sites, ISM 28-3-5;
alert sources, SRM 7-3; the delivery pipeline, SRM 19), and one way to make or rotate a
sender's secret (:func:`rotate_secret`)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from mamori.auditlog.context import because
from mamori.core import crypto
from mamori.core.errors import Refused

__all__ = [
    "MAX_SKEW",
    "SIGNATURE_PREFIX",
    "rotate_secret",
    "sign",
    "verify",
    "verify_body_signature",
    "verify_token",
]

MAX_SKEW = timedelta(minutes=5)
SIGNATURE_PREFIX = "sha256="


def sign(secret: str, timestamp: str, body: bytes, context: str = "") -> str:
    """Return the ``X-Mamori-Signature`` value a sender sends: ``sha256=`` HMAC-SHA256 of
    ``<timestamp>.<body>`` (``<timestamp>.<context>.<body>`` with a context) with its secret."""
    signed = timestamp.encode("ascii") + b"."
    if context:
        signed += context.encode("utf-8") + b"."
    mac = hmac.new(secret.encode("utf-8"), signed + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify(
    secret: str,
    timestamp: str,
    signature: str,
    body: bytes,
    refuse: Callable[[str, str], Refused],
    now: datetime | None = None,
    context: str = "",
) -> None:
    """Raise ``refuse(code, message)`` unless ``signature`` is ``secret``'s over ``body`` at
    ``timestamp`` (Unix seconds, at most five minutes from ``now``)."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        raise refuse(
            "timestamp_missing", gettext("the X-Mamori-Timestamp header must be Unix seconds")
        ) from None
    skew = abs((now or timezone.now()).timestamp() - sent)
    if skew > MAX_SKEW.total_seconds():
        raise refuse(
            "stale_timestamp",
            gettext(
                "the timestamp is %(seconds)d seconds away from now (at most 300 allowed): "
                "a replay or a wrong clock"
            )
            % {"seconds": int(skew)},
        )
    if not signature.startswith(SIGNATURE_PREFIX):
        raise refuse(
            "signature_missing", gettext("the X-Mamori-Signature header must be sha256=<hex>")
        )
    if not hmac.compare_digest(
        sign(secret, timestamp, body, context).encode(), signature.encode("utf-8", "replace")
    ):
        raise refuse(
            "bad_signature",
            gettext("the signature does not match the body signed with the sender's secret"),
        )


def verify_body_signature(
    secret: str, signature: str, body: bytes, refuse: Callable[[str, str], Refused], header: str
) -> None:
    """Raise ``refuse(code, message)`` unless ``signature`` is ``sha256=`` HMAC-SHA256 of
    ``body`` alone with ``secret`` — how GitHub signs its webhooks (``X-Hub-Signature-256``).
    No timestamp: a captured body can be sent again, so a receiver using this must take the
    same body twice as once."""
    if not signature.startswith(SIGNATURE_PREFIX):
        raise refuse(
            "signature_missing",
            gettext("the %(header)s header must be sha256=<hex>") % {"header": header},
        )
    mac = hmac.new(secret.encode("utf-8"), body, hashlib.sha256)
    if not hmac.compare_digest(
        (SIGNATURE_PREFIX + mac.hexdigest()).encode(), signature.encode("utf-8", "replace")
    ):
        raise refuse(
            "bad_signature",
            gettext("the signature does not match the body signed with the sender's secret"),
        )


def verify_token(
    secret: str, token: str, refuse: Callable[[str, str], Refused], header: str
) -> None:
    """Raise ``refuse(code, message)`` unless ``token`` is ``secret`` — how GitLab proves a
    webhook's sender (``X-Gitlab-Token``: the secret itself, over TLS, nothing signed)."""
    if not token:
        raise refuse(
            "token_missing", gettext("the %(header)s header is missing") % {"header": header}
        )
    if not hmac.compare_digest(secret.encode("utf-8"), token.encode("utf-8", "replace")):
        raise refuse("bad_token", gettext("the token is not the sender's secret"))


Sender = TypeVar("Sender", bound=models.Model)


def rotate_secret(
    model: type[Sender],
    lookup: Mapping[str, Any],
    by: Any,
    what: str,
    *,
    name: str = "",
) -> tuple[Sender, str]:
    """Create the ``model`` row that ``lookup`` finds or replace its secret (stored encrypted,
    the sender active again, ``name`` set when given); return it and the secret, to be shown
    once. ``what`` names the kind of sender in the audit entry's reason; ``by`` is the person
    (None: the command line)."""
    secret = secrets.token_urlsafe(32)
    who = getattr(by, "username", None) or "cli"
    with transaction.atomic(), because(f"{what} secret set by {who}"):
        sender, _created = model._default_manager.update_or_create(
            **lookup,
            defaults={
                "secret_encrypted": crypto.encrypt(secret),
                "rotated_at": timezone.now(),
                "active": True,
                **({"name": name} if name else {}),
            },
        )
    return sender, secret
