"""Issue, check and revoke API tokens for machine clients (ISM 23-1-1)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import ApiToken, User
from mamori.core import crypto
from mamori.core.errors import Refused
from mamori.core.scopes import known_scopes, permission_for

__all__ = [
    "MAX_LIFETIME_DAYS",
    "IssuedToken",
    "TokenError",
    "authenticate",
    "issue",
    "revoke",
]

MAX_LIFETIME_DAYS = 366
TOKEN_PREFIX = "mamori"


class TokenError(Refused, ValueError):
    """A token cannot be issued as asked; ``code`` is stable for machines."""


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: ``secret`` is shown once and never again."""

    token: ApiToken
    secret: str


def _digest(secret: str) -> str:
    return crypto.keyed_digest(secret, "api-token")


def issue(name: str, scopes: list[str], days: int, created_by: User | None) -> IssuedToken:
    """Create a token limited to ``scopes`` that expires after ``days``."""
    name = name.strip()
    if not name:
        raise TokenError("no_name", _("a token needs a name"))
    if not scopes:
        raise TokenError("no_scope", _("a token needs at least one scope"))
    unknown = sorted(set(scopes) - set(known_scopes()))
    if unknown:
        raise TokenError(
            "unknown_scope", _("unknown scope(s): %(scopes)s") % {"scopes": ", ".join(unknown)}
        )
    if not 1 <= days <= MAX_LIFETIME_DAYS:
        raise TokenError(
            "bad_lifetime",
            _("lifetime must be 1 to %(max)s days, got %(days)s")
            % {"max": MAX_LIFETIME_DAYS, "days": days},
        )
    if created_by is not None:
        from mamori.accounts.services.roles import has_permission

        lacking = sorted(s for s in scopes if not has_permission(created_by, permission_for(s)))
        if lacking:
            raise TokenError(
                "scope_not_held",
                _(
                    "a token acts with its issuer's permissions, and you do not hold those of "
                    "%(scopes)s: a service token is issued with `mamori token create`"
                )
                % {"scopes": ", ".join(lacking)},
                status=403,
            )
    prefix = secrets.token_hex(6)
    body = secrets.token_urlsafe(32)
    secret = f"{TOKEN_PREFIX}_{prefix}_{body}"
    token = ApiToken.objects.create(
        name=name,
        prefix=prefix,
        digest=_digest(secret),
        scopes=sorted(set(scopes)),
        created_by=created_by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return IssuedToken(token=token, secret=secret)


def _found(secret: str, prefix: str) -> ApiToken | None:
    """Return the unrevoked token whose secret is ``secret``, read from the database now: a
    fresh instance on every call (nothing kept between requests or shared between threads), so
    a revoked, expired or narrowed token is refused or narrowed at its very next use."""
    token = ApiToken.objects.filter(prefix=prefix).first()
    if token is None or not secrets.compare_digest(token.digest, _digest(secret)):
        return None
    if token.revoked_at is not None:
        return None
    return token


def authenticate(secret: str) -> ApiToken | None:
    """Return the usable token matching ``secret``; ``None`` for unknown, expired or revoked."""
    secret = secret.strip()
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = _found(secret, parts[1])
    if token is None or not token.is_usable:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def revoke(token: ApiToken, by: User | None) -> None:
    """Revoke ``token`` at once; revoking twice changes nothing."""
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by
        )
    if updated:
        token.refresh_from_db()
