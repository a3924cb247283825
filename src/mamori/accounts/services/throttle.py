"""Slow down, then lock out, repeated sign-in failures (ISM 23-1-1).

Failures of any step (password, authenticator code, recovery code) count against the user
name. From ``MAMORI_LOGIN_SLOWDOWN_AFTER`` failures on, each attempt must wait twice as long
as the one before (1 s, 2 s, 4 s … at most 5 minutes); at ``MAMORI_LOGIN_LOCK_AFTER`` the name
is locked for ``MAMORI_LOGIN_LOCK_SECONDS``. Only a complete sign-in resets the count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mamori.accounts.models import LoginThrottle

__all__ = ["Refusal", "check", "normalise", "record_failure", "reset", "unlock"]

log = logging.getLogger("mamori.accounts.signin")
MAX_DELAY_SECONDS = 300


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused before any credential is checked."""

    locked: bool
    retry_after_seconds: int


def normalise(username: str) -> str:
    """Return the key failures are counted under."""
    return username.strip().casefold()[:150]


def _delay(failures: int) -> timedelta:
    over = failures - settings.MAMORI_LOGIN_SLOWDOWN_AFTER
    if over < 0:
        return timedelta(0)
    return timedelta(seconds=min(2**over, MAX_DELAY_SECONDS))


def check(username: str, now: datetime | None = None) -> Refusal | None:
    """Return a refusal if ``username`` is locked or must still wait, else ``None``."""
    now = now or timezone.now()
    row = LoginThrottle.objects.filter(username=normalise(username)).first()
    if row is None:
        return None
    if row.locked_until and row.locked_until > now:
        return Refusal(True, int((row.locked_until - now).total_seconds()) + 1)
    if row.last_failure_at is not None:
        ready_at = row.last_failure_at + _delay(row.failures)
        if ready_at > now and not (row.locked_until and row.locked_until <= now):
            return Refusal(False, int((ready_at - now).total_seconds()) + 1)
    return None


def record_failure(username: str, ip: str | None, now: datetime | None = None) -> LoginThrottle:
    """Count one failure and lock the name once the threshold is reached."""
    now = now or timezone.now()
    key = normalise(username)
    with transaction.atomic():
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(username=key)
        if row.locked_until and row.locked_until <= now:
            row.failures = 0
            row.locked_until = None
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= settings.MAMORI_LOGIN_LOCK_AFTER:
            row.locked_until = now + timedelta(seconds=settings.MAMORI_LOGIN_LOCK_SECONDS)
            log.warning(
                "sign-in locked for %r after %d failures (from %s) until %s",
                key,
                row.failures,
                ip,
                row.locked_until.isoformat(),
            )
        row.save()
    return row


def reset(username: str) -> None:
    """Forget failures after a complete sign-in."""
    LoginThrottle.objects.filter(username=normalise(username)).delete()


def unlock(username: str) -> bool:
    """Lift a lock-out by hand; return whether there was anything to lift."""
    deleted, _ = LoginThrottle.objects.filter(username=normalise(username)).delete()
    return deleted > 0
