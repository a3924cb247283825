"""The one choke point: every model change becomes an audit entry, with no code in views.

``post_save`` / ``post_delete`` catch single-object changes (``pre_save`` keeps a digest of the
row as it was); ``QuerySet.update``, ``bulk_create`` and ``bulk_update`` — which send no signals —
are wrapped so that bulk changes are recorded row by row too. Only the log's own tables and
Django's session store (sign-ins are recorded explicitly) are left out.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import models
from django.db.models.query import QuerySet
from django.db.models.signals import post_delete, post_save, pre_save

__all__ = ["EXCLUDED_APPS", "install", "record_created", "row_digest"]

EXCLUDED_APPS = {"auditlog", "sessions", "contenttypes", "migrations"}
_installed = False


def _audited(model: type[models.Model]) -> bool:
    if model.__module__ == "__fake__":  # historical models inside migrations
        return False
    return model._meta.app_label not in EXCLUDED_APPS and not model._meta.proxy


def row_digest(values: dict[str, Any] | None) -> str | None:
    """Return SHA-256 of a row's canonical JSON (fields are never copied into the log)."""
    if values is None:
        return None
    from mamori.auditlog.store import canonical

    return hashlib.sha256(canonical({k: str(v) for k, v in values.items()})).hexdigest()


def _values(instance: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def _label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _before_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not _audited(sender) or instance._state.adding or instance.pk is None:
        instance._audit_before = None  # type: ignore[attr-defined]
        return
    old = (
        sender._base_manager.filter(pk=instance.pk)
        .values(*[f.attname for f in sender._meta.concrete_fields])
        .first()
    )
    instance._audit_before = row_digest(old)  # type: ignore[attr-defined]


def _after_save(
    sender: type[models.Model], instance: models.Model, created: bool, **kwargs: Any
) -> None:
    if not _audited(sender):
        return
    from mamori.auditlog import services

    services.record_change(
        "create" if created else "update",
        _label(sender),
        str(instance.pk),
        None if created else getattr(instance, "_audit_before", None),
        row_digest(_values(instance)),
        services.describe(instance, created),
    )


def record_created(instance: models.Model) -> None:
    """Record that ``instance`` was created, as ``post_save`` does (for an insert made without
    the ORM's ``save``: :func:`mamori.custody.fastpath.fastdb.insert`)."""
    _after_save(type(instance), instance, created=True)


def _after_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if not _audited(sender):
        return
    from mamori.auditlog import services

    services.record_change(
        "delete", _label(sender), str(instance.pk), row_digest(_values(instance)), None, {}
    )


_original_update = QuerySet.update
_original_bulk_create = QuerySet.bulk_create
_original_bulk_update = QuerySet.bulk_update


def _fields(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _update(self: QuerySet[Any], **kwargs: Any) -> int:
    if not _audited(self.model):
        return _original_update(self, **kwargs)
    from mamori.auditlog import services

    pk_name = self.model._meta.pk.attname
    before = {row[pk_name]: row for row in self.values(*_fields(self.model))}
    count = _original_update(self, **kwargs)
    if before:
        after = self.model._base_manager.filter(pk__in=list(before)).values(*_fields(self.model))
        for row in after:
            services.record_change(
                "update",
                _label(self.model),
                str(row[pk_name]),
                row_digest(before.get(row[pk_name])),
                row_digest(row),
                {},
            )
    return count


def _bulk_create(self: QuerySet[Any], objs: Any, *args: Any, **kwargs: Any) -> Any:
    created = _original_bulk_create(self, objs, *args, **kwargs)
    if _audited(self.model):
        from mamori.auditlog import services

        for obj in created:
            services.record_change(
                "create",
                _label(self.model),
                str(obj.pk),
                None,
                row_digest(_values(obj)),
                services.describe(obj, True),
            )
    return created


def _bulk_update(self: QuerySet[Any], objs: Any, fields: Any, *args: Any, **kwargs: Any) -> Any:
    objs = list(objs)
    if not _audited(self.model) or not objs:
        return _original_bulk_update(self, objs, fields, *args, **kwargs)
    from mamori.auditlog import services

    pks = [obj.pk for obj in objs]
    before = {
        row["pk"]: row
        for row in self.model._base_manager.filter(pk__in=pks).values("pk", *_fields(self.model))
    }
    result = _original_bulk_update(self, objs, fields, *args, **kwargs)
    for obj in objs:
        old = before.get(obj.pk)
        if old is not None:
            old = {k: v for k, v in old.items() if k != "pk"}
        services.record_change(
            "update", _label(self.model), str(obj.pk), row_digest(old), row_digest(_values(obj)), {}
        )
    return result


def install() -> None:
    """Connect the signals and wrap the bulk methods (once per process)."""
    global _installed
    if _installed:
        return
    pre_save.connect(_before_save, dispatch_uid="mamori.auditlog.pre_save")
    post_save.connect(_after_save, dispatch_uid="mamori.auditlog.post_save")
    post_delete.connect(_after_delete, dispatch_uid="mamori.auditlog.post_delete")
    QuerySet.update = _update  # type: ignore[method-assign]
    QuerySet.bulk_create = _bulk_create  # type: ignore[method-assign]
    QuerySet.bulk_update = _bulk_update  # type: ignore[method-assign]
    _installed = True
