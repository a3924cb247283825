"""Detection of access to key backups (ISM 28-3-5).

Backup sites report each access — a vault opened, an HSM login, a share checked out or in —
by a signed webhook (``POST /api/keys/backup-events``: HMAC-SHA256 with the site's secret
over ``<timestamp>.<raw body>``, the timestamp within five minutes) or on the NATS subject
``mamori.keys.in.backup_access``. Each access is recorded per backup, once per event id. An
access inside the window of an approved or running ceremony at the backup's site is
expected; any other one tells the CISO and the wallet's responsible person at once and stays
an open finding until someone acknowledges it with a reason.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from mamori.accounts.models import User
from mamori.auditlog.context import because
from mamori.core import crypto, signed_webhooks
from mamori.core.errors import Refused
from mamori.core.signed_webhooks import MAX_SKEW, sign
from mamori.keys.models import Backup, BackupAccess, BackupSiteSecret, Ceremony, Site
from mamori.keys.services import refuse_secrets

__all__ = [
    "MAX_SKEW",
    "SUBJECT",
    "AccessRefused",
    "Recorded",
    "acknowledge",
    "authenticate",
    "backups_with_source",
    "open_findings",
    "record",
    "rotate_secret",
    "sign",
]

log = logging.getLogger("mamori.keys")

SUBJECT = "mamori.keys.in.backup_access"
LIVE = (Ceremony.State.APPROVED, Ceremony.State.IN_PROGRESS)


class AccessRefused(Refused):
    """A backup access event refused: a bad signature, a stale timestamp or a bad body."""


def rotate_secret(site: Site, by: User | None = None) -> tuple[BackupSiteSecret, str]:
    """Create or replace ``site``'s event secret; return it and the secret (shown once)."""
    return signed_webhooks.rotate_secret(BackupSiteSecret, {"site": site}, by, "event")


def _refused(code: str, message: str) -> AccessRefused:
    return AccessRefused(code, message, status=401)


def authenticate(
    site_code: str, timestamp: str, signature: str, body: bytes, now: datetime | None = None
) -> Site:
    """Return the site whose secret signed ``body`` at ``timestamp``; refuse (401, with the
    reason) a missing or unknown site, a missing or stale timestamp, a bad signature."""
    if not site_code:
        raise _refused("site_missing", _("the X-Mamori-Site header is missing"))
    found = (
        BackupSiteSecret.objects.select_related("site")
        .filter(site__code=site_code, active=True)
        .first()
    )
    if found is None:
        raise _refused(
            "unknown_site",
            _("site %(site)s has no event secret: create one on the backup sources page")
            % {"site": site_code[:50]},
        )
    signed_webhooks.verify(
        crypto.decrypt(found.secret_encrypted), timestamp, signature, body, _refused, now
    )
    return found.site


@dataclass(frozen=True)
class Recorded:
    """What one event recorded: the new accesses (none for a resend)."""

    event_id: str
    new: list[BackupAccess]


def _bad(message: str, field: str) -> AccessRefused:
    return AccessRefused("bad_event", message, fields=[(field, message)])


def _parse(data: Mapping[str, Any]) -> tuple[str, str, str, str, str, datetime]:
    if not isinstance(data, Mapping):
        raise _bad(_("the event must be a JSON object"), "event")
    event_id = str(data.get("event_id") or "").strip()
    if not event_id or len(event_id) > 100:
        raise _bad(_("event_id is required (at most 100 characters)"), "event_id")
    backup = str(data.get("backup") or "").strip()
    site = str(data.get("site") or "").strip()
    if not backup and not site:
        raise _bad(_("name the backup (its label) or the site"), "backup")
    kind = str(data.get("kind") or "")
    if kind not in BackupAccess.Kind.values:
        raise _bad(
            _("kind must be one of %(kinds)s") % {"kinds": ", ".join(BackupAccess.Kind.values)},
            "kind",
        )
    actor = str(data.get("actor") or "").strip()
    if not actor or len(actor) > 150:
        raise _bad(_("actor is required (at most 150 characters)"), "actor")
    at = parse_datetime(str(data.get("at") or ""))
    if at is None or at.tzinfo is None:
        raise _bad(_("at must be an ISO 8601 time with its offset"), "at")
    return event_id, backup, site, kind, actor, at


def _covering(backup: Backup, at: datetime) -> Ceremony | None:
    return (
        Ceremony.objects.filter(
            state__in=LIVE, sites=backup.site, starts_at__lte=at, ends_at__gte=at
        )
        .order_by("starts_at")
        .first()
    )


def record(data: Mapping[str, Any], channel: str, from_site: Site | None = None) -> Recorded:
    """Record one access event for the backup it names (or every backup at the site it
    names); a resend of an event id records nothing new. An event signed by a site may only
    name that site's backups. Each unexpected access alerts at once."""
    if isinstance(data, Mapping):
        refuse_secrets(dict(data))  # nothing that looks like a seed or key is kept or logged
    event_id, label, site_code, kind, actor, at = _parse(data)
    if label:
        found = Backup.objects.select_related("site", "key__wallet").filter(label=label).first()
        if found is None:
            raise _bad(_("no backup is labelled %(label)s") % {"label": label[:80]}, "backup")
        backups = [found]
    else:
        backups = list(
            Backup.objects.select_related("site", "key__wallet").filter(site__code=site_code)
        )
        if not backups:
            raise _bad(_("no backup is kept at site %(site)s") % {"site": site_code[:50]}, "site")
    if from_site is not None:
        elsewhere = sorted(b.label for b in backups if b.site_id != from_site.pk)
        if elsewhere:
            raise AccessRefused(
                "wrong_site",
                _("site %(site)s may not report on backups kept elsewhere: %(backups)s")
                % {"site": from_site.code, "backups": ", ".join(elsewhere)},
                status=403,
            )
    now = timezone.now()
    new: list[BackupAccess] = []
    for backup in backups:
        if BackupAccess.objects.filter(event_id=event_id, backup=backup).exists():
            continue
        ceremony = _covering(backup, at)
        try:
            with transaction.atomic():
                access = BackupAccess.objects.create(
                    event_id=event_id,
                    backup=backup,
                    site=backup.site,
                    kind=kind,
                    actor=actor,
                    at=at,
                    received_at=now,
                    channel=channel,
                    expected=ceremony is not None,
                    ceremony=ceremony,
                )
                if ceremony is None:
                    _alert(access)
        except IntegrityError:  # the same event recorded meanwhile by another worker
            continue
        new.append(access)
        log.info(
            "backup access %s at %s: %s",
            event_id,
            backup.label,
            "expected" if ceremony else "UNEXPECTED",
        )
    return Recorded(event_id, new)


def _alert(access: BackupAccess) -> None:
    """Tell the CISO and the wallet's responsible person at once (ISM 28-3-5)."""
    from mamori.notifications.services import Recipient, notify

    wallet = access.backup.key.wallet
    level = [Recipient(role="ciso")]
    if wallet.responsible is not None:
        level.append(Recipient(username=wallet.responsible.username))
    kind_ja = {
        "vault_opened": "保管庫の開扉",
        "hsm_login": "HSMへのログイン",
        "share_checked_out": "シェアの持ち出し",
        "share_checked_in": "シェアの返却",
    }[access.kind]
    when = timezone.localtime(access.at).strftime("%Y-%m-%d %H:%M")
    notify(
        "keys.backup_access",
        "critical",
        (
            f"予定外のバックアップへのアクセス: {access.backup.label}",
            f"Unexpected access to backup {access.backup.label}",
        ),
        (
            f"{when} {access.site.name} で {access.actor} による{kind_ja}"
            f"（ウォレット {wallet.name}）。承認済みのセレモニーの時間帯外です（ISM 28-3-5）。",
            f"{access.get_kind_display()} by {access.actor} at {access.site.name}, {when} "
            f"(wallet {wallet.name}), outside any approved ceremony (ISM 28-3-5).",
        ),
        [level],
        requires_ack=True,
        link="/keys/backup-access/findings/",
    )


def acknowledge(access: BackupAccess, by: User, reason: str) -> BackupAccess:
    """Close an open finding, saying why the access was legitimate or what was done."""
    reason = reason.strip()
    if not reason:
        raise AccessRefused(
            "reason_required",
            _("say why the access is acknowledged"),
            fields=[("reason", _("required"))],
        )
    with transaction.atomic(), because(reason):
        locked = BackupAccess.objects.select_for_update().get(pk=access.pk)
        if locked.expected or locked.acknowledged_at is not None:
            raise AccessRefused("not_open", _("this access is not an open finding"), status=409)
        locked.acknowledged_at = timezone.now()
        locked.acknowledged_by = by
        locked.acknowledged_reason = reason[:500]
        locked.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledged_reason"])
    return locked


def open_findings() -> Any:
    """Return the unexpected accesses not acknowledged yet, newest first."""
    return BackupAccess.objects.filter(expected=False, acknowledged_at__isnull=True).select_related(
        "backup", "site"
    )


def backups_with_source() -> tuple[list[Backup], list[Backup]]:
    """Return the backups that have an event source (their site has an active event secret,
    or an event came for them on NATS) and those that have none."""
    backups = list(Backup.objects.select_related("site"))
    signed = set(BackupSiteSecret.objects.filter(active=True).values_list("site_id", flat=True))
    heard = set(
        BackupAccess.objects.filter(channel=BackupAccess.Channel.NATS).values_list(
            "backup_id", flat=True
        )
    )
    with_source = [b for b in backups if b.site_id in signed or b.pk in heard]
    without = [b for b in backups if b not in with_source]
    return with_source, without


def of_backup(backup: Backup) -> Any:
    """Return the accesses recorded for ``backup``, newest first."""
    return BackupAccess.objects.filter(Q(backup=backup)).select_related(
        "ceremony", "acknowledged_by"
    )
