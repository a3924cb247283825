"""The senders that sign what they post to mamori with a shared secret — alert sources
(SRM 7-3) and delivery pipelines (SRM 19): making or rotating a sender's secret, one way for
both (the signature itself is :mod:`mamori.core.signed_webhooks`)."""

from __future__ import annotations

import secrets
from typing import TypeVar, cast

from django.db import transaction
from django.utils import timezone

from mamori.accounts.models import User
from mamori.auditlog.audited import AuditedModel
from mamori.auditlog.context import because
from mamori.core import crypto

__all__ = ["rotate_secret"]

Sender = TypeVar("Sender", bound=AuditedModel)


def rotate_secret(
    model: type[Sender], code: str, name: str, by: User | None, what: str
) -> tuple[Sender, str]:
    """Create the ``model`` sender ``code`` or replace its secret (stored encrypted, the sender
    active again); return it and the secret, to be shown once. ``what`` names the kind of
    sender in the audit entry's reason."""
    secret = secrets.token_urlsafe(32)
    with transaction.atomic(), because(f"{what} secret set by {by.username if by else 'cli'}"):
        sender, _created = model._default_manager.update_or_create(
            code=code,
            defaults={
                "secret_encrypted": crypto.encrypt(secret),
                "rotated_at": timezone.now(),
                "active": True,
                **({"name": name} if name else {}),
            },
        )
    return cast(Sender, sender), secret
