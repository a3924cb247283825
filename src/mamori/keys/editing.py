"""Editing the key inventory (ISM 28): sites (and their closing), wallets, keys, backups and
spread rules. Every save re-evaluates the inventory through :func:`mamori.keys.services.evaluate`
(a violation a change brings alerts the CISO and the wallet's responsible person); a new entry
that would break a spread rule is refused naming the conflict and nothing is written; a change
to a custody system flags the leak-response runbook for revision (ISM 30-2).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from mamori.accounts.models import User
from mamori.engines import keys as engine
from mamori.keys import reasons, services
from mamori.keys.leak import flag_runbook_revision
from mamori.keys.models import Backup, KeyMaterial, Site, SiteClosure, SpreadRule, Wallet

__all__ = [
    "WALLET_CUSTODY_FIELDS",
    "changes",
    "close_site",
    "remove_key",
    "save_backup",
    "save_edited_key",
    "save_rule",
    "save_site",
    "save_wallet",
]

#: Wallet fields whose change is a change of the custody system (ISM 30-2).
WALLET_CUSTODY_FIELDS = (
    "chain",
    "asset",
    "addresses",
    "derivation_path",
    "scheme",
    "m",
    "n",
    "hot",
)
#: Backup fields whose change moves the key material (ISM 28-3-2, 30-2).
BACKUP_PLACEMENT_FIELDS = ("key", "site", "holder")


def _by(by: User | None) -> str:
    return f" by {by.username}" if by else ""


def changes(before: dict[str, Any], instance: Any, fields: tuple[str, ...]) -> list[str]:
    """Say each of ``fields`` whose value differs from ``before`` (``m: 2 → 3``)."""
    said = []
    for name in fields:
        attname = instance._meta.get_field(name).attname
        old, new = before.get(attname), getattr(instance, attname)
        if old != new:
            said.append(f"{name}: {old} → {new}")
    return said


def snapshot(instance: Any) -> dict[str, Any]:
    """Return ``instance``'s stored field values (by attname), for :func:`changes`."""
    if instance.pk is None:
        return {}
    stored = type(instance).objects.get(pk=instance.pk)
    return {f.attname: getattr(stored, f.attname) for f in instance._meta.concrete_fields}


def save_site(site: Site, by: User | None = None) -> Site:
    """Create or rename a site; the spread is re-evaluated."""
    site.save()
    services.evaluate(f"site {site.code} saved{_by(by)}")
    return site


def close_site(site: Site, on: date, reason: str, by: User) -> SiteClosure:
    """Close ``site`` (ISM 28-2-6, 30-2): refused, naming them, while keys or backups are
    still kept there (move them first); flags the runbook for revision."""
    if hasattr(site, "closure"):
        raise services.KeyRefused("closed", _("this site is already closed"), status=409)
    kept = sorted([k.label for k in site.keys.all()] + [b.label for b in site.backups.all()])
    if kept:
        raise services.KeyRefused(
            "site_in_use",
            _("Refused: %(site)s still keeps %(kept)s; move them to another site first")
            % {"site": site.code, "kept": ", ".join(kept)},
        )
    with transaction.atomic():
        closure = SiteClosure.objects.create(site=site, closed_on=on, reason=reason, closed_by=by)
        flag_runbook_revision("site closed", f"{site.code} ({site.name}) on {on}: {reason}")
    services.evaluate(f"site {site.code} closed{_by(by)}")
    return closure


def _wallet_refusals(wallet: Wallet) -> None:
    services.refuse_secrets(
        {
            "addresses": list(wallet.addresses),
            "derivation_path": wallet.derivation_path,
            "name": wallet.name,
        }
    )
    try:
        engine.SigningScheme(engine.Scheme(wallet.scheme), wallet.m, wallet.n)
    except ValueError:
        raise services.KeyRefused(
            "bad_scheme",
            _(
                "Refused: %(m)s-of-%(n)s does not fit the scheme %(scheme)s (1 ≤ m ≤ n; a single "
                "key is 1-of-1)"
            )
            % {"m": wallet.m, "n": wallet.n, "scheme": wallet.get_scheme_display()},
            fields=[("m", _("1 ≤ m ≤ n")), ("n", _("1 ≤ m ≤ n"))],
        ) from None


def save_wallet(wallet: Wallet, by: User | None = None) -> Wallet:
    """Create or change a wallet (ISM 28-2-1/2/4/5): refused when it holds a secret or its m
    and n do not fit the scheme; a creation or a change of chain, asset, addresses,
    derivation, scheme, m/n or hot flags the runbook (ISM 30-2); then re-evaluated."""
    _wallet_refusals(wallet)
    before = snapshot(wallet)
    with transaction.atomic():
        new = wallet.pk is None
        wallet.save()
        if new:
            flag_runbook_revision(
                "wallet created",
                f"{wallet.name}: {wallet.chain} {wallet.asset} {wallet.scheme_label()}"
                + (" hot" if wallet.hot else ""),
            )
        else:
            said = changes(before, wallet, WALLET_CUSTODY_FIELDS)
            if said:
                flag_runbook_revision("wallet changed", f"{wallet.name}: " + "; ".join(said))
    services.evaluate(f"wallet {wallet.name} saved{_by(by)}")
    return wallet


def save_edited_key(key: KeyMaterial, by: User | None = None) -> KeyMaterial:
    """Change a key already entered: a move (site, holder, unit) flags the runbook (ISM 30-2);
    the re-evaluation alerts on any violation it brings (ISM 28-2-6/7, 29-1-5)."""
    services.refuse_secrets(
        {"public_key": key.public_key, "storage_model": key.storage_model, "share_of": key.share_of}
    )
    services.refuse_closed_site(key.site)
    before = snapshot(key)
    with transaction.atomic():
        key.save()
        said = changes(before, key, ("wallet", "site", "holder", "unit", "role"))
        if said:
            flag_runbook_revision("key moved", f"{key.label}: " + "; ".join(said))
    services.evaluate(f"key {key.label} changed{_by(by)}")
    return key


def remove_key(key: KeyMaterial, by: User | None = None) -> None:
    """Remove a key from the inventory (ISM 30-2 flags the runbook); refused while backups of
    it are recorded (named)."""
    backups = sorted(b.label for b in key.backups.all())
    if backups:
        raise services.KeyRefused(
            "key_has_backups",
            _("Refused: remove or reassign its backups first: %(backups)s")
            % {"backups": ", ".join(backups)},
            status=409,
        )
    label, wallet = key.label, key.wallet.name
    with transaction.atomic():
        key.delete()
        flag_runbook_revision("key removed", f"{label} of {wallet}")
    services.evaluate(f"key {label} removed{_by(by)}")


def _backup_refusals(backup: Backup) -> list[str]:
    """The spread rules entering the new ``backup`` would break, conflicts named."""
    current = services.inventory()
    held = next((k for k in current.keys if k.id == backup.key.label), None)
    value = services._backup(backup)
    if held is None:
        candidate = services.key_value(backup.key, [backup])
    else:
        candidate = replace(held, backups=(*held.backups, value))
    found = engine.check_entry(current, candidate, services.rules())
    return [
        reasons.result_text(f.code, services._conflicts(f), f.message)
        for f in found
        if any(backup.label in (c.first, c.second) for c in f.conflicts)
    ]


def save_backup(backup: Backup, by: User | None = None) -> Backup:
    """Enter or change a backup (ISM 28-3): a new backup that would break a spread rule is
    refused naming the conflict; a change is saved and re-evaluated (alerting on a new
    violation); an entry or a move flags the runbook (ISM 30-2)."""
    services.refuse_secrets(
        {
            "label": backup.label,
            "encryption": backup.encryption,
            "access_rights": backup.access_rights,
            "access_detection": backup.access_detection,
        }
    )
    services.refuse_closed_site(backup.site)
    new = backup.pk is None
    if new:
        refused = _backup_refusals(backup)
        if refused:
            raise services.KeyRefused(
                "spread_violation",
                _("Refused: this entry would break a spread rule: %(reasons)s")
                % {"reasons": " / ".join(refused)},
            )
    before = snapshot(backup)
    with transaction.atomic():
        backup.save()
        if new:
            flag_runbook_revision(
                "backup added", f"{backup.label} of {backup.key.label} at {backup.site.code}"
            )
        else:
            said = changes(before, backup, BACKUP_PLACEMENT_FIELDS)
            if said:
                flag_runbook_revision("backup moved", f"{backup.label}: " + "; ".join(said))
    services.evaluate(f"backup {backup.label} saved{_by(by)}")
    return backup


def save_rule(rule: SpreadRule, by: User | None = None) -> SpreadRule:
    """Create, change, activate or deactivate a spread rule (ISM 28-2-3/6/7, 28-3-2, 29-1-5),
    refused when malformed; the inventory is re-evaluated under the rules now active and a
    violation the change brings alerts."""
    entry = {
        "code": rule.code,
        "apart": rule.apart,
        "scope": rule.scope,
        "roles": rule.roles or [r.value for r in engine.Role],
        "against": rule.against,
        "schemes": rule.schemes,
        "copies": rule.copies,
    }
    try:
        engine.rules_from_data([entry])
    except ValueError as error:
        raise services.KeyRefused("bad_rule", _("Refused: %(why)s") % {"why": error}) from None
    rule.save()
    services.evaluate(f"spread rule {rule.code} {'active' if rule.active else 'inactive'}{_by(by)}")
    return rule
