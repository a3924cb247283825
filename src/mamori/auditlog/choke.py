"""The one choke point: every model change becomes an audit entry, with no code in views
(ISM 23-1-2).

``post_save`` / ``post_delete`` catch single-object changes (``pre_save`` keeps a digest of the
row as it was). Bulk changes, which send no signals — ``QuerySet.update``, ``bulk_create`` and
``bulk_update`` — are recorded row by row by the queryset every model of mamori's apps uses
(:class:`mamori.auditlog.audited.AuditedQuerySet`; nothing of Django's is replaced). On
PostgreSQL, writes that bypass the ORM altogether are caught by triggers
(:mod:`mamori.auditlog.bypass`). Only the log's own tables and Django's session store
(sign-ins are recorded explicitly) are left out.

Rows are recorded as digests, never copied — except the few fields a model names in
``audit_values`` (an owner, a status: nothing confidential), whose values before and after a
change each entry carries under ``details.changes``, so a record's History can say what changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save

__all__ = [
    "EXCLUDED_APPS",
    "audited",
    "field_names",
    "install",
    "label",
    "record_created",
    "record_rows",
    "row_digest",
    "values_changed",
    "values_of",
]

EXCLUDED_APPS = {"auditlog", "sessions", "contenttypes", "migrations"}
_installed = False


def audited(model: type[models.Model]) -> bool:
    """Return whether changes of ``model`` are recorded (not the log's own tables, not
    historical models inside migrations, not proxies)."""
    if model.__module__ == "__fake__":  # historical models inside migrations
        return False
    return model._meta.app_label not in EXCLUDED_APPS and not model._meta.proxy


def row_digest(values: dict[str, Any] | None) -> str | None:
    """Return SHA-256 of a row's canonical JSON (fields are never copied into the log)."""
    if values is None:
        return None
    from mamori.auditlog.store import canonical

    return hashlib.sha256(canonical({k: str(v) for k, v in values.items()})).hexdigest()


def field_names(model: type[models.Model]) -> list[str]:
    """Return the attribute names of ``model``'s columns: what a row digest is taken over."""
    return [f.attname for f in model._meta.concrete_fields]


def values_of(instance: models.Model) -> dict[str, Any]:
    """Return ``instance``'s column values, as a row digest takes them."""
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def label(model: type[models.Model]) -> str:
    """Return ``app.model``, the object type entries name."""
    return f"{model._meta.app_label}.{model._meta.model_name}"


def record_rows(
    verb: str,
    model: type[models.Model],
    rows: Iterable[tuple[Any, dict[str, Any] | None, dict[str, Any] | None]],
) -> None:
    """Record ``verb`` for each (primary key, row before, row after) — digests only."""
    from mamori.auditlog import services

    for pk, before, after in rows:
        services.record_change(
            verb, label(model), str(pk), row_digest(before), row_digest(after), {}
        )


def _shown(field: Any, value: Any) -> Any:
    """Return ``value`` of ``field`` as an entry keeps it: a related row by its name (a person's
    display name), a number or flag as it is, anything else as text."""
    if value is None:
        return None
    if field.is_relation:
        related = field.related_model._base_manager.filter(pk=value).first()
        return str(related) if related is not None else str(value)
    if isinstance(value, bool | int):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def values_changed(
    model: type[models.Model], before: dict[str, Any] | None, instance: models.Model
) -> dict[str, list[Any]]:
    """Return ``{field: [before, after]}`` for the fields ``model`` names in ``audit_values``
    whose value changed (all that have one, for a row just created)."""
    changes: dict[str, list[Any]] = {}
    for name in getattr(model, "audit_values", ()):
        field = model._meta.get_field(name)
        attname = field.attname  # type: ignore[union-attr]
        after = getattr(instance, attname)
        old = before.get(attname) if before is not None else None
        if old == after or (before is None and after in (None, "")):
            continue
        changes[name] = [_shown(field, old), _shown(field, after)]
    return changes


def _before_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not audited(sender) or instance._state.adding or instance.pk is None:
        instance._audit_before = None  # type: ignore[attr-defined]
        instance._audit_old = None  # type: ignore[attr-defined]
        return
    old = sender._base_manager.filter(pk=instance.pk).values(*field_names(sender)).first()
    instance._audit_before = row_digest(old)  # type: ignore[attr-defined]
    instance._audit_old = old  # type: ignore[attr-defined]


def _after_save(
    sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any
) -> None:
    if not audited(sender):
        return
    from mamori.auditlog import services

    extra = services.describe(instance, created)
    if getattr(sender, "audit_values", ()):
        old = None if created else getattr(instance, "_audit_old", None)
        if changes := values_changed(sender, old, instance):
            extra = {**extra, "changes": changes}
    services.record_change(
        "create" if created else "update",
        label(sender),
        str(instance.pk),
        None if created else getattr(instance, "_audit_before", None),
        row_digest(values_of(instance)),
        extra,
    )


def record_created(instance: models.Model) -> None:
    """Record that ``instance`` was created, as ``post_save`` does (for an insert made without
    the ORM's ``save``: :func:`mamori.custody.fastpath.fastdb.insert`,
    :meth:`AuditedQuerySet.bulk_create <mamori.auditlog.audited.AuditedQuerySet.bulk_create>`)."""
    _after_save(type(instance), instance, created=True)


def _after_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not audited(sender):
        return
    record_rows("delete", sender, [(instance.pk, values_of(instance), None)])


def install() -> None:
    """Connect the signals (once per process)."""
    global _installed
    if _installed:
        return
    pre_save.connect(_before_save, dispatch_uid="mamori.auditlog.pre_save")
    post_save.connect(_after_save, dispatch_uid="mamori.auditlog.post_save")
    post_delete.connect(_after_delete, dispatch_uid="mamori.auditlog.post_delete")
    _installed = True
