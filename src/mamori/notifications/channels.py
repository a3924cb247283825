"""Delivery channels, one class each behind a documented base (in-app, email, webhook).

A channel's :meth:`Channel.send` either returns (delivered) or raises :class:`DeliveryFailed`
with a reason to record; the caller retries with backoff and escalates when it gives up.
"""

from __future__ import annotations

import json
import time
from typing import ClassVar

import httpx
from django.conf import settings
from django.core.mail import EmailMessage

from mamori.core import crypto
from mamori.notifications import webhooks
from mamori.notifications.models import Delivery, Notification, WebhookEndpoint
from mamori.notifications.webhooks import WebhookRefused, sign

__all__ = [
    "CHANNELS",
    "Channel",
    "DeliveryFailed",
    "EmailChannel",
    "InAppChannel",
    "WebhookChannel",
]


class DeliveryFailed(Exception):
    """A delivery attempt failed; the message is recorded on the delivery."""


class Channel:
    """Base class: deliver one notification to one recipient of a delivery row."""

    code: ClassVar[str]

    def send(self, delivery: Delivery) -> None:
        """Deliver or raise :class:`DeliveryFailed`."""
        raise NotImplementedError


class InAppChannel(Channel):
    """The notification shows in the person's inbox in mamori; always delivered."""

    code = Delivery.Channel.IN_APP

    def send(self, delivery: Delivery) -> None:
        """Nothing to transmit: the row itself is the in-app message."""


def _text(notification: Notification, language: str) -> tuple[str, str]:
    if language == "en":
        return notification.title_en, notification.body_en
    return notification.title_ja, notification.body_ja


class EmailChannel(Channel):
    """Email over SMTP (``MAMORI_SMTP_URL``), in the recipient's language."""

    code = Delivery.Channel.EMAIL

    def send(self, delivery: Delivery) -> None:
        """Send one email; refusals and connection errors become :class:`DeliveryFailed`."""
        user = delivery.user
        if user is None or not user.email:
            raise DeliveryFailed("the recipient has no email address")
        if not settings.EMAIL_HOST:
            raise DeliveryFailed("no SMTP server is configured (MAMORI_SMTP_URL)")
        notification = delivery.notification
        title, body = _text(notification, user.language or settings.LANGUAGE_CODE)
        prefix = f"[mamori {notification.severity.upper()}] "
        message = EmailMessage(
            subject=prefix + title,
            body=f"{body}\n\n{notification.link}".strip(),
            to=[user.email],
            headers={"X-Mamori-Notification": str(notification.pk)},
        )
        try:
            message.send(fail_silently=False)
        except Exception as exc:  # smtplib and socket errors alike
            raise DeliveryFailed(f"SMTP: {type(exc).__name__}: {exc}"[:500]) from None


class WebhookChannel(Channel):
    """POST JSON signed with HMAC-SHA256; Slack format sends ``{"text": ...}``."""

    code = Delivery.Channel.WEBHOOK
    timeout_seconds = 10.0

    def payload(self, endpoint: WebhookEndpoint, notification: Notification) -> dict[str, object]:
        """Return the body sent to ``endpoint``."""
        text = (
            f"[{notification.severity.upper()}] {notification.title_ja} / {notification.title_en}"
        )
        if notification.body_ja or notification.body_en:
            text += f"\n{notification.body_ja}\n{notification.body_en}".rstrip()
        if endpoint.format == WebhookEndpoint.Format.SLACK:
            return {"text": text}
        return {
            "text": text,
            "id": notification.pk,
            "topic": notification.topic,
            "severity": notification.severity,
            "title": {"ja": notification.title_ja, "en": notification.title_en},
            "body": {"ja": notification.body_ja, "en": notification.body_en},
            "link": notification.link,
            "level": notification.level,
            "created_at": notification.created_at.isoformat(),
        }

    def send(self, delivery: Delivery) -> None:
        """POST to the endpoint; any non-2xx answer or network error fails the attempt."""
        endpoint = delivery.webhook
        if endpoint is None or not endpoint.active:
            raise DeliveryFailed("the webhook endpoint is gone or inactive")
        body = json.dumps(self.payload(endpoint, delivery.notification), ensure_ascii=False).encode(
            "utf-8"
        )
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Mamori-Timestamp": timestamp,
            "X-Mamori-Signature": sign(crypto.decrypt(endpoint.secret_encrypted), timestamp, body),
            "User-Agent": "mamori-webhook/1",
        }
        try:
            response = webhooks.post(endpoint.url, body, headers, self.timeout_seconds)
        except WebhookRefused as exc:
            raise DeliveryFailed(str(exc)) from None
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"webhook: {type(exc).__name__}: {exc}"[:500]) from None
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"webhook answered HTTP {response.status_code}")


CHANNELS: dict[str, Channel] = {
    channel.code: channel for channel in (InAppChannel(), EmailChannel(), WebhookChannel())
}
