"""The edge between the key inventory's rows and the keys engine (ISM 28, 29-1-5/6).

Rows become engine values here; the engine evaluates the spread rules, the crypto policy and
the records; results are stored per wallet and check, and a violation that was not there
before tells the CISO and the wallet's responsible person at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mamori.accounts.models import User
from mamori.core.errors import Refused
from mamori.engines import keys as engine
from mamori.keys import reasons
from mamori.keys.models import Backup, GenerationRecord, KeyMaterial, RuleResult, SpreadRule, Wallet

__all__ = [
    "KeyRefused",
    "entry_refusals",
    "evaluate",
    "findings",
    "inventory",
    "key_value",
    "refuse_closed_site",
    "refuse_secrets",
    "rules",
    "save_key",
    "seed_rules",
]


class KeyRefused(Refused):
    """A key entry refused: it would break a spread rule, or it holds what looks like a secret."""


def seed_rules() -> int:
    """Store the engine's default spread rules that are not stored yet; return how many."""
    made = 0
    for rule in engine.DEFAULT_RULES:
        _row, created = SpreadRule.objects.get_or_create(
            code=rule.code,
            defaults={
                "apart": list(rule.apart),
                "scope": rule.scope,
                "roles": sorted(r.value for r in rule.roles),
                "against": sorted(r.value for r in rule.against),
                "schemes": sorted(s.value for s in rule.schemes),
                "copies": rule.copies,
                "article": rule.article,
                "text": rule.text,
            },
        )
        made += created
    return made


def rules() -> list[engine.SpreadRule]:
    """Return the active spread rules as engine values (the defaults when none is stored)."""
    rows = list(SpreadRule.objects.filter(active=True))
    if not rows and not SpreadRule.objects.exists():
        return list(engine.DEFAULT_RULES)
    data = []
    for row in rows:
        entry: dict[str, Any] = {
            "code": row.code,
            "apart": row.apart,
            "scope": row.scope,
            "against": row.against,
            "schemes": row.schemes,
            "copies": row.copies,
            "article": row.article,
            "text": row.text,
        }
        if row.roles:
            entry["roles"] = row.roles
        data.append(entry)
    return engine.rules_from_data(data)


def _unit(unit: Any, holder: User) -> str:
    if unit is not None:
        return str(unit.code)
    return str(holder.department.code) if holder.department_id else ""  # type: ignore[union-attr]


def _generation(key: KeyMaterial) -> engine.GenerationRecord | None:
    record = getattr(key, "generation", None)
    if record is None:
        return None
    return engine.GenerationRecord(
        generated_by=record.generated_by,
        method=record.method,
        rng_spec=record.rng_spec,
        prior_verification=record.prior_verification,
        witnesses=tuple(w.strip() for w in record.witnesses.split(",") if w.strip()),
        at=record.at.isoformat() if record.at else "",
    )


def _backup(backup: Backup) -> engine.Backup:
    return engine.Backup(
        id=backup.label,
        site=backup.site.code,
        holder=backup.holder.username,
        encryption=backup.encryption,
        access_rights=tuple(a.strip() for a in backup.access_rights.split(",") if a.strip()),
        access_detection=backup.access_detection,
        unit=_unit(None, backup.holder),
    )


def key_value(key: KeyMaterial, backups: Iterable[Backup] | None = None) -> engine.KeyMaterial:
    """Return ``key`` (saved or not) as the engine's value."""
    if backups is None:
        backups = key.backups.select_related("site", "holder__department") if key.pk else ()
    return engine.KeyMaterial(
        id=key.label,
        wallet=key.wallet.name,
        role=engine.Role(key.role),
        holder=key.holder.username,
        site=key.site.code,
        unit=_unit(key.unit, key.holder),
        storage=engine.Storage(
            engine.StorageKind(key.storage_kind), key.storage_model, key.encryption
        ),
        share_of=key.share_of,
        curve=key.curve,
        public_key=key.public_key,
        generation=_generation(key) if key.pk else None,
        backups=tuple(_backup(b) for b in backups),
    )


def _wallet_value(wallet: Wallet) -> engine.Wallet:
    return engine.Wallet(
        id=wallet.name,
        chain=wallet.chain,
        scheme=engine.SigningScheme(engine.Scheme(wallet.scheme), wallet.m, wallet.n),
        addresses=tuple(wallet.addresses),
        derivation_path=wallet.derivation_path,
        hash_function=wallet.hash_function,
        hot=wallet.hot,
    )


def inventory() -> engine.Inventory:
    """Return every wallet, key and backup as the engine's inventory."""
    keys = KeyMaterial.objects.select_related(
        "wallet", "holder__department", "site", "unit", "generation"
    ).prefetch_related("backups__site", "backups__holder__department")
    return engine.Inventory(
        wallets=tuple(_wallet_value(w) for w in Wallet.objects.all()),
        keys=tuple(key_value(k, k.backups.all()) for k in keys),
    )


def refuse_secrets(data: Any) -> None:
    """Raise :class:`KeyRefused` when ``data`` holds what looks like a seed or private key
    (ISM 28-3-1); the message names where, never the value."""
    hits = engine.find_secrets(data)
    if hits:
        where = ", ".join(hit.path or "—" for hit in hits)
        raise KeyRefused(
            "secret_refused",
            _(
                "Refused: %(where)s looks like a seed or private key. mamori never keeps "
                "secrets; enter public data only (addresses, extended public keys, public keys)."
            )
            % {"where": where},
            fields=[
                (hit.path.split(".")[0].split("[")[0] or "data", _("looks like a secret"))
                for hit in hits
            ],
        )


def refuse_closed_site(site: Any) -> None:
    """Raise :class:`KeyRefused` when ``site`` is closed: nothing may be kept there (ISM
    28-2-6)."""
    if hasattr(site, "closure"):
        raise KeyRefused(
            "site_closed",
            _("Refused: the site %(site)s is closed") % {"site": site.code},
            fields=[("site", _("closed"))],
        )


def _conflicts(finding: engine.Finding) -> list[dict[str, str]]:
    return [
        {"first": c.first, "second": c.second, "attribute": c.attribute, "value": c.value}
        for c in finding.conflicts
    ]


def entry_refusals(key: KeyMaterial, backups: Iterable[Backup] = ()) -> list[str]:
    """Return, in the active language, each spread rule entering ``key`` would break."""
    current = inventory()
    candidate = key_value(key, backups)
    if key.pk:  # its stored backups stay with it unless new ones are given
        stored = current.keys_of(key.wallet.name)
        candidate_backups = next((k.backups for k in stored if k.id == key.label), ())
        if not candidate.backups:
            candidate = replace(candidate, backups=candidate_backups)
    found = engine.check_entry(current, candidate, rules())
    return [reasons.result_text(f.code, _conflicts(f), f.message) for f in found]


def save_key(
    key: KeyMaterial, generation: dict[str, Any] | None = None, by: User | None = None
) -> KeyMaterial:
    """Enter ``key`` (with its generation record) unless it holds a secret or breaks a spread
    rule (refused with the reasons, naming the conflicting keys); then re-evaluate."""
    refuse_secrets(
        {
            "label": key.label,
            "public_key": key.public_key,
            "storage_model": key.storage_model,
            "share_of": key.share_of,
            **(generation or {}),
        }
    )
    refuse_closed_site(key.site)
    refused = entry_refusals(key)
    if refused:
        raise KeyRefused(
            "spread_violation",
            _("Refused: this entry would break a spread rule: %(reasons)s")
            % {"reasons": " / ".join(refused)},
        )
    with transaction.atomic():
        new = key.pk is None
        key.save()
        if generation and any(generation.values()):
            GenerationRecord.objects.update_or_create(key=key, defaults=generation)
        if new:  # a key added is a change of the custody system (ISM 30-2)
            from mamori.keys.leak import flag_runbook_revision

            flag_runbook_revision(
                "key added", f"{key.label} ({key.role}) of {key.wallet.name} at {key.site.code}"
            )
    evaluate(f"key {key.label} entered" + (f" by {by.username}" if by else ""))
    return key


@dataclass(frozen=True)
class Checked:
    """What one wallet's check found: ``code``, whether it holds, its conflicts and detail."""

    wallet: str
    code: str
    holds: bool
    article: str
    conflicts: list[dict[str, str]]
    detail: dict[str, Any]


def findings(current: engine.Inventory | None = None) -> list[Checked]:
    """Evaluate the spread rules, the crypto policy and the records over the inventory: every
    spread rule per wallet (holds or not), and each policy or record check that falls short."""
    current = current or inventory()
    owner: dict[str, str] = {w.id: w.id for w in current.wallets}
    for key in current.keys:
        owner[key.id] = key.wallet
        owner.update({b.id: key.wallet for b in key.backups})
    out = [
        Checked(f.subject, f.code, f.holds, f.article, _conflicts(f), {"message": f.message})
        for f in engine.evaluate(current, rules())
    ]
    grouped: dict[tuple[str, str], list[engine.Finding]] = {}
    others = engine.check_policy(current) + engine.check_records(current)
    for finding in others:
        if not finding.holds and finding.subject in owner:
            grouped.setdefault((owner[finding.subject], finding.code), []).append(finding)
    for (wallet, code), found in sorted(grouped.items()):
        detail = {
            "subjects": [f.subject for f in found],
            "message": "; ".join(f.message for f in found),
        }
        out.append(Checked(wallet, code, False, found[0].article, [], detail))
    return out


def _new_violations(previous: RuleResult | None, checked: Checked) -> bool:
    if checked.holds:
        return False
    if previous is None or previous.holds:
        return True
    before = {tuple(sorted(c.items())) for c in previous.conflicts}
    return any(tuple(sorted(c.items())) not in before for c in checked.conflicts)


def shown(result: RuleResult | Checked) -> str:
    """Say a check's result in the active language."""
    if result.holds:
        return reasons.rule_text(result.code, result.detail.get("message", ""))
    fallback = ", ".join(result.detail.get("subjects", [])) or result.detail.get("message", "")
    return reasons.result_text(result.code, result.conflicts, fallback)


def evaluate(trigger: str = "") -> dict[str, Any]:
    """Evaluate the whole inventory now, store each wallet's results and alert on any
    violation that was not there before (ISM 28-2, 29-1-5); return a summary."""
    now = timezone.now()
    wallets = {w.name: w for w in Wallet.objects.select_related("responsible")}
    stored = {(r.wallet.name, r.code): r for r in RuleResult.objects.select_related("wallet")}
    fresh: dict[str, list[Checked]] = {}
    with transaction.atomic():
        seen = set()
        for checked in findings():
            wallet = wallets.get(checked.wallet)
            if wallet is None:
                continue
            seen.add((checked.wallet, checked.code))
            previous = stored.get((checked.wallet, checked.code))
            if checked.code.startswith("spread.") and _new_violations(previous, checked):
                fresh.setdefault(checked.wallet, []).append(checked)
            changed = previous is None or previous.holds != checked.holds
            RuleResult.objects.update_or_create(
                wallet=wallet,
                code=checked.code,
                defaults={
                    "holds": checked.holds,
                    "article": checked.article,
                    "conflicts": checked.conflicts,
                    "detail": checked.detail,
                    "since": now if changed or previous is None else previous.since,
                    "checked_at": now,
                },
            )
        gone = [r.pk for key, r in stored.items() if key not in seen]
        RuleResult.objects.filter(pk__in=gone).delete()
        for name, violations in fresh.items():
            _alert(wallets[name], violations, trigger)
            from mamori.events.bus import publish  # relayed after commit (the outbox)

            publish(
                "mamori.keys.spread_violated",
                {
                    "wallet": name,
                    "wallet_id": wallets[name].pk,
                    "asset": wallets[name].asset,
                    "codes": sorted(v.code for v in violations),
                    "at": now.isoformat(),
                },
                event_id=f"keys-spread-violated-{wallets[name].pk}-{now.timestamp():.6f}",
            )
    results = list(RuleResult.objects.all())
    return {
        "trigger": trigger[:200],
        "wallets": len(wallets),
        "violated": sorted({f"{r.wallet_id}:{r.code}" for r in results if not r.holds}),
        "alerted": sorted(fresh),
    }


def _in(language: str, violations: list[Checked]) -> str:
    with translation.override(language):
        return " / ".join(shown(v) for v in violations)


def _alert(wallet: Wallet, violations: list[Checked], trigger: str) -> None:
    from mamori.notifications.services import Recipient, notify

    level = [Recipient(role="ciso")]
    if wallet.responsible is not None:
        level.append(Recipient(username=wallet.responsible.username))
    notify(
        "keys.spread_violation",
        "critical",
        (
            f"鍵の分散ルール違反: ウォレット {wallet.name}",
            f"Key spread rule violated: wallet {wallet.name}",
        ),
        (
            f"{_in('ja', violations)}（ISM 28・29-1-5）。契機: {trigger or '定期チェック'}",
            f"{_in('en', violations)} (ISM 28, 29-1-5). Trigger: {trigger or 'daily check'}",
        ),
        [level],
        requires_ack=True,
        link=f"/keys/wallets/{wallet.pk}/",
    )


def on_person_saved(user: User, update_fields: Iterable[str] | None = None) -> None:
    """Re-evaluate at once when a person holding keys or backups may have moved department
    (ISM 28-2-7: a move can bring two keys into one unit)."""
    if update_fields is not None and "department" not in update_fields:
        return
    if not (
        KeyMaterial.objects.filter(holder=user, unit__isnull=True).exists()
        or Backup.objects.filter(holder=user).exists()
    ):
        return
    evaluate(f"{user.username} changed department")
