"""The audited base of every model of mamori's apps: the ORM's writes recorded without
replacing anything of Django's (ISM 23-1-2: changes are recorded and kept).

:class:`AuditedModel` gives a model :class:`AuditedManager` as its default and its base
manager (the one ``save()``, related objects and deletion cascades use), whose queryset,
:class:`AuditedQuerySet`, records the bulk writes that send no signal — ``update()``,
``bulk_create()``, ``bulk_update()``, and the link rows ``ManyToManyField.remove()`` and
``clear()`` delete — in the same entries the signals of :mod:`mamori.auditlog.choke` record
for ``save()`` and ``delete()``. A model with a manager of its own derives it from
:class:`AuditedManager` (or sets ``_queryset_class`` to a subclass of :class:`AuditedQuerySet`);
the link tables Django makes for a ``ManyToManyField`` get :class:`AuditedManager` when Django
prepares them. ``tests/auditlog/test_audited_models.py`` fails for a model that has not.

On PostgreSQL each statement these writes send begins with
:data:`~mamori.auditlog.triggers.AUDITED_MARK`: the triggers of :mod:`mamori.auditlog.bypass`
leave its rows alone, since they are recorded here, and catch every other write to an audited
table (``psql``, a script, a raw cursor).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar, cast

from django.db import connections, models, router, transaction
from django.db.models.signals import class_prepared
from django.db.models.sql import UpdateQuery
from django.db.models.sql.constants import ROW_COUNT

from mamori.auditlog import choke
from mamori.auditlog.triggers import AUDITED_MARK

__all__ = [
    "AuditedManager",
    "AuditedModel",
    "AuditedQuerySet",
    "marked",
    "unaudited_models",
    "uses_audited_queryset",
]

M = TypeVar("M", bound=models.Model)

#: Rows updated per statement by an audited ``update()`` (their keys are its parameters).
BATCH = 2_000


def _mark(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    return execute(AUDITED_MARK + sql, params, many, context)


@contextmanager
def marked(using: str) -> Iterator[None]:
    """Begin every statement sent on ``using`` inside the block with the audited mark
    (PostgreSQL; elsewhere no trigger reads it)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or _mark in connection.execute_wrappers:
        yield
        return
    with connection.execute_wrapper(_mark):
        yield


class AuditedQuerySet(models.QuerySet[M]):
    """A queryset whose writes are recorded in the audit log (see the module)."""

    def update(self, **kwargs: Any) -> int:
        """Update the rows and record each: its digest before (read, and on PostgreSQL
        locked, before the update) and after (returned by the update itself, so no row is
        read twice); only the rows read are updated, so every row changed is recorded."""
        if not choke.audited(self.model):
            return super().update(**kwargs)
        self._not_support_combined_queries("update")  # type: ignore[attr-defined]
        if self.query.is_sliced:
            raise TypeError("Cannot update a query once a slice has been taken.")
        self._for_write = True
        model, db = self.model, self.db
        names = choke.field_names(model)
        with transaction.atomic(using=db, savepoint=False), marked(db):
            before = {row["pk"]: row for row in self._rows_before(names)}
            keys = list(before)
            after: dict[Any, dict[str, Any]] = {}
            for start in range(0, len(keys), BATCH):
                chunk = keys[start : start + BATCH]
                after.update(self.filter(pk__in=chunk)._update_returning(kwargs, names, chunk))
            choke.record_rows(
                "update",
                model,
                ((pk, _without_pk(before[pk]), after[pk]) for pk in keys if pk in after),
            )
        self._result_cache = None
        return len(after)

    update.alters_data = True  # type: ignore[attr-defined]

    def _write_db(self) -> str:
        """Return the database a write of these rows goes to (``self.db`` once Django marks
        the queryset for writing)."""
        return self._db or router.db_for_write(self.model, **self._hints)  # type: ignore[attr-defined]

    def _rows_before(self, names: list[str]) -> Iterable[dict[str, Any]]:
        """Return the rows as they are, read (and locked, on PostgreSQL) for a write."""
        rows = self.using(self._write_db()).order_by("pk")
        if connections[rows.db].features.has_select_for_update_of and not (
            rows.query.distinct or rows.query.group_by
        ):
            rows = rows.select_for_update(of=("self",))
        return rows.values("pk", *names)

    def _update_returning(
        self, values: dict[str, Any], names: list[str], keys: list[Any]
    ) -> dict[Any, dict[str, Any]]:
        """Run the UPDATE of ``values`` on these rows (those of ``keys``); return each row as
        it now is, by key."""
        model, db = self.model, self.db
        connection = connections[db]
        query = cast(UpdateQuery, self.query.chain(UpdateQuery))
        query.add_update_values(values)
        query.clear_ordering(force=True)
        query.clear_select_clause()
        compiler = query.get_compiler(db)
        fields = model._meta.concrete_fields
        if query.related_updates or not connection.features.can_return_columns_from_insert:
            compiler.execute_sql(ROW_COUNT)  # a parent's columns too, or no RETURNING
            rows = model._base_manager.using(db).filter(pk__in=keys)
            return {row["pk"]: _without_pk(row) for row in rows.values("pk", *names)}
        statement, params = compiler.as_sql()
        if not statement:
            return {}
        columns = [field.get_col(model._meta.db_table) for field in fields]
        selected = []
        for column in columns:
            sql, column_params = column.select_format(compiler, *compiler.compile(column))
            selected.append(sql)
            params = (*params, *column_params)
        with connection.cursor() as cursor:
            cursor.execute(f"{statement} RETURNING {', '.join(selected)}", params)
            found: Iterable[Any] = cursor.fetchall()
        converters = compiler.get_converters(columns)
        if converters:
            found = compiler.apply_converters(found, converters)
        pk = model._meta.pk.attname
        returned = [dict(zip(names, row, strict=True)) for row in found]
        return {row[pk]: row for row in returned}

    def bulk_create(self, objs: Iterable[M], *args: Any, **kwargs: Any) -> list[M]:
        """Create the rows and record each, as ``post_save`` records one."""
        with marked(self._write_db()):
            created = super().bulk_create(objs, *args, **kwargs)
        if choke.audited(self.model):
            for obj in created:
                choke.record_created(obj)
        return created

    bulk_create.alters_data = True  # type: ignore[attr-defined]

    # bulk_update() needs nothing of its own: it is a transaction of update() calls.

    def delete(self) -> tuple[int, dict[str, int]]:
        """Delete the rows. ``post_delete`` records each row of a model of its own; the link
        rows Django makes for a ManyToManyField send none, so those are recorded here."""
        if not choke.audited(self.model):
            return super().delete()
        db = self._write_db()
        if not self.model._meta.auto_created:
            with marked(db):
                return super().delete()
        names = choke.field_names(self.model)
        with transaction.atomic(using=db, savepoint=False), marked(db):
            rows = list(self._rows_before(names))
            deleted = super().delete()
            choke.record_rows(
                "delete", self.model, ((row["pk"], _without_pk(row), None) for row in rows)
            )
        return deleted

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    # What save() and deletion cascades send: recorded by the signals, marked here.

    def _update(self, values: Any) -> Any:
        if not choke.audited(self.model):
            return super()._update(values)  # type: ignore[misc]
        with marked(self._write_db()):
            return super()._update(values)  # type: ignore[misc]

    _update.alters_data = True  # type: ignore[attr-defined]
    _update.queryset_only = False  # type: ignore[attr-defined]

    def _insert(self, *args: Any, **kwargs: Any) -> Any:
        if not choke.audited(self.model):
            return super()._insert(*args, **kwargs)  # type: ignore[misc]
        with marked(kwargs.get("using") or self._write_db()):
            return super()._insert(*args, **kwargs)  # type: ignore[misc]

    _insert.alters_data = True  # type: ignore[attr-defined]
    _insert.queryset_only = False  # type: ignore[attr-defined]


def _without_pk(row: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name != "pk"}


class AuditedManager(models.Manager[M]):
    """The manager of every model of mamori's apps: its querysets are audited."""

    _queryset_class = AuditedQuerySet


class AuditedModel(models.Model):
    """Abstract base of every model of mamori's apps (the log's own tables excepted): its
    writes through the ORM are recorded in the audit log (see the module). Its ``objects`` is
    also its base manager.

    ``audit_values`` names the fields (nothing confidential: an owner, a status) whose values
    before and after each change the entries carry, for the record's History."""

    objects = AuditedManager()
    audit_values: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    def delete(
        self, using: str | None = None, keep_parents: bool = False
    ) -> tuple[int, dict[str, int]]:
        """Delete the row (and its cascade): ``post_delete`` records each; marked here."""
        if not choke.audited(type(self)):
            return super().delete(using=using, keep_parents=keep_parents)
        with marked(using or router.db_for_write(type(self), instance=self)):
            return super().delete(using=using, keep_parents=keep_parents)

    delete.alters_data = True  # type: ignore[attr-defined]


def uses_audited_queryset(model: type[models.Model]) -> bool:
    """Return whether every manager of ``model``, and its base manager, is audited."""
    managers = [*model._meta.managers, model._base_manager]
    return all(issubclass(m._queryset_class, AuditedQuerySet) for m in managers)  # type: ignore[attr-defined]


def unaudited_models(models_: Iterable[type[models.Model]]) -> list[str]:
    """Return the labels of the models among ``models_`` whose ORM writes would escape the log:
    a model of its own not derived from :class:`AuditedModel`, or any manager not audited."""
    found = []
    for model in models_:
        own = not model._meta.auto_created
        if (own and not issubclass(model, AuditedModel)) or not uses_audited_queryset(model):
            found.append(choke.label(model))
    return found


def _prepared(sender: type[models.Model], **kwargs: Any) -> None:
    """As Django finishes a model: have an audited model's base manager be its ``objects``
    (``save()``, related objects and deletion cascades use it; set here rather than in
    ``Meta``, which a model's own ``Meta`` would not inherit), and give the link table Django
    makes for a ManyToManyField of an audited model an audited manager (it is made with a
    plain one, on the field's behalf, as its model is defined)."""
    meta = sender._meta
    if issubclass(sender, AuditedModel):
        if not meta.base_manager_name:
            meta.base_manager_name = "objects"
        return
    owner = meta.auto_created
    if not (isinstance(owner, type) and issubclass(owner, AuditedModel)):
        return
    meta.local_managers = [m for m in meta.local_managers if m.name != "objects"]
    meta.base_manager_name = "objects"
    manager: AuditedManager[Any] = AuditedManager()
    manager.auto_created = True
    sender.add_to_class("objects", manager)  # resets the managers Django had worked out


class_prepared.connect(_prepared, dispatch_uid="mamori.auditlog.audited.prepared")
