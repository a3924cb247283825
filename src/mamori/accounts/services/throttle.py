"""Slow down, then lock out, repeated sign-in failures (ISM 23-1-1).

Failures of any step (password, authenticator code, recovery code) are counted twice:

- against the user name *from that source address*: from ``MAMORI_LOGIN_SLOWDOWN_AFTER``
  failures on, each attempt must wait twice as long as the one before (1 s, 2 s, 4 s … at most
  5 minutes); at ``MAMORI_LOGIN_LOCK_AFTER`` the name is locked *for that address* for
  ``MAMORI_LOGIN_LOCK_SECONDS``. Failures from one address never lock the person out from
  another, so nobody can lock the CISO out by typing her name;
- against the source address across every user name: at ``MAMORI_LOGIN_SOURCE_LOCK_AFTER``
  failures within ``MAMORI_LOGIN_LOCK_SECONDS`` the address is locked for every name for that
  long, so one address cannot try name after name.

Only a complete sign-in resets the count of its name and address. Every attempt stays recorded
in :class:`~mamori.accounts.models.LoginAttempt`; the counters here are only the current state.

A counter's key (the ``username`` column of :class:`LoginThrottle`) is ``name|address``, and
``|address`` for an address across names.
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
_NAME_CHARS = 100  # a key holds 150: the name's first 100, "|", an address (IPv6: 45)


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused before any credential is checked."""

    locked: bool
    retry_after_seconds: int


def normalise(username: str) -> str:
    """Return the user name as failures are counted under it."""
    return username.strip().casefold()[:_NAME_CHARS]


def _key(username: str | None, ip: str | None) -> str:
    name = "" if username is None else normalise(username)
    return f"{name}|{(ip or 'unknown')[:49]}"


def _delay(failures: int) -> timedelta:
    over = failures - settings.MAMORI_LOGIN_SLOWDOWN_AFTER
    if over < 0:
        return timedelta(0)
    return timedelta(seconds=min(2**over, MAX_DELAY_SECONDS))


def _refusal(row: LoginThrottle, now: datetime, slows: bool) -> Refusal | None:
    if row.locked_until and row.locked_until > now:
        return Refusal(True, int((row.locked_until - now).total_seconds()) + 1)
    if slows and row.last_failure_at is not None and not row.locked_until:
        ready_at = row.last_failure_at + _delay(row.failures)
        if ready_at > now:
            return Refusal(False, int((ready_at - now).total_seconds()) + 1)
    return None


def check(username: str, ip: str | None = None, now: datetime | None = None) -> Refusal | None:
    """Return a refusal if ``username`` from ``ip``, or ``ip`` itself, is locked or must still
    wait (a lock before a wait, the longer first), else ``None``."""
    now = now or timezone.now()
    pair, source = _key(username, ip), _key(None, ip)
    refusals = [
        refusal
        for row in LoginThrottle.objects.filter(username__in=[pair, source])
        if (refusal := _refusal(row, now, slows=row.username == pair)) is not None
    ]
    return max(refusals, key=lambda r: (r.locked, r.retry_after_seconds), default=None)


def _count(key: str, lock_after: int, now: datetime, forget_after: timedelta | None) -> None:
    row, _ = LoginThrottle.objects.select_for_update().get_or_create(username=key)
    stale = forget_after is not None and (
        row.last_failure_at is None or now - row.last_failure_at >= forget_after
    )
    if (row.locked_until and row.locked_until <= now) or stale:
        row.failures = 0
        row.locked_until = None
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= lock_after and row.locked_until is None:
        row.locked_until = now + timedelta(seconds=settings.MAMORI_LOGIN_LOCK_SECONDS)
        log.warning(
            "sign-in locked for %r after %d failures until %s",
            key,
            row.failures,
            row.locked_until.isoformat(),
        )
    row.save()


def record_failure(username: str, ip: str | None, now: datetime | None = None) -> None:
    """Count one failure of ``username`` from ``ip`` and one of ``ip``; lock either once its
    threshold is reached."""
    now = now or timezone.now()
    window = timedelta(seconds=settings.MAMORI_LOGIN_LOCK_SECONDS)
    with transaction.atomic():
        _count(_key(username, ip), settings.MAMORI_LOGIN_LOCK_AFTER, now, None)
        _count(_key(None, ip), settings.MAMORI_LOGIN_SOURCE_LOCK_AFTER, now, window)


def reset(username: str, ip: str | None) -> None:
    """Forget the failures of ``username`` from ``ip`` after a complete sign-in."""
    LoginThrottle.objects.filter(username=_key(username, ip)).delete()


def unlock(username: str) -> bool:
    """Lift the lock-outs of ``username`` from every address by hand; return whether there was
    anything to lift."""
    prefix = normalise(username) + "|"
    deleted, _ = LoginThrottle.objects.filter(username__startswith=prefix).delete()
    return deleted > 0
