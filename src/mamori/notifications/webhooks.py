"""Webhook targets: refuse addresses that are not http(s) or point where they must not, and
call the address that was checked.

An address that is not globally routable (private, loopback, link-local and cloud metadata,
carrier-grade NAT, reserved; see :mod:`mamori.core.addresses`) is refused unless the host is
listed in ``MAMORI_WEBHOOK_ALLOWED_HOSTS``. The check runs again at every delivery, and the
delivery connects to the very address that was checked (the host name is resolved once; the
request still carries the original ``Host`` header and TLS server name, and the certificate is
verified for that name), so a name that resolves elsewhere between the check and the
connection (DNS rebinding) cannot send it somewhere forbidden.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from collections.abc import Mapping
from urllib.parse import SplitResult, urlsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from mamori.core.addresses import not_global
from mamori.core.errors import Refused

__all__ = ["WebhookRefused", "check_url", "post", "sign"]

_PORTS = {"http": 80, "https": 443}


class WebhookRefused(Refused, ValueError):
    """A webhook URL that mamori will not call (code ``bad_webhook``); the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__("bad_webhook", message)


def _parts(url: str) -> tuple[SplitResult, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in _PORTS:
        raise WebhookRefused(
            _("a webhook must be http or https, got %(scheme)r")
            % {"scheme": parts.scheme or "none"}
        )
    host = parts.hostname
    if not host:
        raise WebhookRefused(_("the webhook URL has no host"))
    try:
        port = parts.port or _PORTS[parts.scheme]
    except ValueError as exc:
        raise WebhookRefused(
            _("the webhook URL's port is not a port: %(error)s") % {"error": exc}
        ) from None
    return parts, host, port


def _allowed(host: str) -> bool:
    return host in settings.MAMORI_WEBHOOK_ALLOWED_HOSTS


def _resolve(host: str, port: int) -> list[str]:
    """Return the addresses ``host`` resolves to, refused if any is not globally routable
    (unless the host is allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookRefused(
            _("the host %(host)r does not resolve: %(error)s") % {"host": host, "error": exc}
        ) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if _allowed(host):
        return addresses
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        kind = not_global(address)
        if kind is not None:
            raise WebhookRefused(
                _(
                    "the host %(host)r resolves to %(address)s, a %(kind)s address that is not "
                    "globally routable; list the host in MAMORI_WEBHOOK_ALLOWED_HOSTS if it is "
                    "meant"
                )
                % {"host": host, "address": address, "kind": kind}
            )
    return addresses


def check_url(url: str) -> None:
    """Raise :class:`WebhookRefused` unless ``url`` is an allowed http(s) target."""
    _, host, port = _parts(url)
    if not _allowed(host):
        _resolve(host, port)


def post(url: str, content: bytes, headers: Mapping[str, str], timeout: float) -> httpx.Response:
    """POST ``content`` to ``url`` at an address checked just now (tried in the order the
    resolver gave them); redirects are not followed and no proxy from the environment is used,
    so the request goes nowhere else. Raise :class:`WebhookRefused` or :class:`httpx.HTTPError`."""
    parts, host, port = _parts(url)
    name = f"[{host}]" if ":" in host else host
    sent_headers = {**headers, "Host": name if parts.port is None else f"{name}:{port}"}
    userinfo = parts.netloc.rpartition("@")[0]
    error: httpx.HTTPError | None = None
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for address in _resolve(host, port):
            pinned = f"[{address}]" if ":" in address else address
            netloc = f"{userinfo}@{pinned}:{port}" if userinfo else f"{pinned}:{port}"
            try:
                return client.post(
                    parts._replace(netloc=netloc).geturl(),
                    content=content,
                    headers=sent_headers,
                    extensions={"sni_hostname": host},
                )
            except httpx.ConnectError as exc:  # the next address, as a browser would
                error = exc
    assert error is not None  # getaddrinfo answers at least one address or raises
    raise error


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the ``X-Mamori-Signature`` value: ``v1=`` HMAC-SHA256 of ``timestamp.body``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()
