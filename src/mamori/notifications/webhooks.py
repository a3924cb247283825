"""Webhook targets: refuse addresses that are not http(s) or point where they must not.

Private, loopback, link-local (cloud metadata) and multicast addresses are refused unless the
host is listed in ``MAMORI_WEBHOOK_ALLOWED_HOSTS``; the check runs again at every delivery, so a
name that later resolves somewhere forbidden is caught (DNS rebinding).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

__all__ = ["WebhookRefused", "check_url", "sign"]


class WebhookRefused(ValueError):
    """A webhook URL that mamori will not call; the message says why."""


def check_url(url: str) -> None:
    """Raise :class:`WebhookRefused` unless ``url`` is an allowed http(s) target."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise WebhookRefused(f"a webhook must be http or https, got {parts.scheme or 'none'!r}")
    host = parts.hostname
    if not host:
        raise WebhookRefused("the webhook URL has no host")
    if host in settings.MAMORI_WEBHOOK_ALLOWED_HOSTS:
        return
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise WebhookRefused(f"the host {host!r} does not resolve: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_multicast
            or address.is_unspecified
            or address.is_reserved
        ):
            raise WebhookRefused(
                f"the host {host!r} resolves to {address}, a non-public address; list it in "
                "MAMORI_WEBHOOK_ALLOWED_HOSTS if it is meant"
            )


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the ``X-Mamori-Signature`` value: ``v1=`` HMAC-SHA256 of ``timestamp.body``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()
