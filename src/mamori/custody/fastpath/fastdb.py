"""Reads and inserts for hot paths, without the ORM building the same SQL on every call.

Building a query's SQL costs the ORM ten to twenty times what running it costs on SQLite (a
custody check makes several). :class:`Prepared` has the ORM build a query once per thread and
connection — its SQL, the value converters of its columns — from a queryset written with
sample values; each call runs that SQL with its own values and turns the rows into model
instances exactly as the ORM does. :func:`insert` writes one instance with an INSERT built once
and records it in the audit log through the choke point, as ``post_save`` would: it is the only
way past the signals, so no change escapes the log (ISM 23-1-2). On PostgreSQL its INSERT
begins with the audited mark, like the ORM's audited writes, so the bypass trigger
(:mod:`mamori.auditlog.bypass`) leaves the row to this explicit record — the trigger's
condition is all it costs. Both run on the driver's own cursor (as the audit log's appends
do), with the SQL already in the driver's placeholder style.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import connections, models
from django.db.models.sql import InsertQuery

__all__ = ["Prepared", "insert"]

M = TypeVar("M", bound=models.Model)
_local = threading.local()
_FORMAT = re.compile(r"(?<!%)%s")


def _for_driver(sql: str, alias: str) -> str:
    """Return ``sql`` in the driver's placeholder style (SQLite's ``?``, as Django's cursor
    wrapper would make it on every call)."""
    if connections[alias].vendor == "sqlite":
        return _FORMAT.sub("?", sql).replace("%%", "%")
    return sql


def _cursor(connection: Any) -> Any:
    """Return a driver cursor of Django's ``connection`` (opened if it is not yet)."""
    if connection.connection is None:
        connection.ensure_connection()
    return connection.connection.cursor()


class _Read:
    """A compiled read: its SQL, where the caller's values go, how rows become instances."""

    def __init__(self, queryset: models.QuerySet[Any], samples: tuple[Any, ...]) -> None:
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        self.sql = _for_driver(sql, queryset.db)
        self.params = list(params)
        self.slots = []
        for sample in samples:
            found = [i for i, value in enumerate(self.params) if value == sample]
            if len(found) != 1:
                raise ValueError(f"sample value {sample!r} must appear once in the query")
            self.slots.append(found[0])
        self.compiler = compiler
        fields = [column.target for column, _, _ in compiler.select]
        self.names = [field.attname for field in fields]
        self.converters = compiler.get_converters([column for column, _, _ in compiler.select])
        self.model = queryset.model
        self.alias = queryset.db
        self.connection = connections[queryset.db]  # this thread's

    def run(self, values: tuple[Any, ...]) -> list[Any]:
        return [self.model.from_db(self.alias, self.names, row) for row in self.rows(values)]

    def rows(self, values: tuple[Any, ...]) -> list[Any]:
        params = list(self.params)
        for slot, value in zip(self.slots, values, strict=True):
            params[slot] = value
        cursor = _cursor(self.connection)
        try:
            cursor.execute(self.sql, params)
            rows: list[Any] = cursor.fetchall()
        finally:
            cursor.close()
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        return rows


class Prepared(Generic[M]):
    """A query shape built once: ``Prepared(lambda code: Asset.objects.filter(code=code),
    "sample")``. The sample values (one distinct value per argument, each used once) mark
    where the caller's values go; they must need no conversion to reach the database (text,
    integers)."""

    def __init__(self, build: Callable[..., models.QuerySet[M]], *samples: Any) -> None:
        self.build = build
        self.samples = samples
        self._compiled = threading.local()  # each thread's, on its own connection

    def _read(self) -> _Read:
        read: _Read | None = getattr(self._compiled, "read", None)
        if read is None:
            read = self._compiled.read = _Read(self.build(*self.samples), self.samples)
        return read

    def all(self, *values: Any) -> list[M]:
        """Return the instances the query finds for ``values``."""
        found: list[M] = self._read().run(values)
        return found

    def first(self, *values: Any) -> M | None:
        """Return the first instance the query finds for ``values``, or None."""
        found = self.all(*values)
        return found[0] if found else None

    def first_row(self, *values: Any) -> tuple[Any, ...] | None:
        """Return the first row the query finds for ``values`` — its selected columns' values,
        converted as the ORM converts them, with no instance built — or None (for a
        ``values_list`` queryset, whose rows are what is wanted)."""
        found = self._read().rows(values)
        return tuple(found[0]) if found else None


def _insert_sql(model: type[models.Model], alias: str) -> tuple[str, list[models.Field[Any, Any]]]:
    inserts: dict[type[models.Model], tuple[str, list[Any]]]
    inserts = _local.__dict__.setdefault("inserts", {})
    key = model
    if key not in inserts:
        fields = [
            f for f in model._meta.concrete_fields if not f.generated and f is not model._meta.pk
        ]
        query = InsertQuery(model)
        query.insert_values(fields, [model()], raw=True)
        compiler = query.get_compiler(using=alias)
        compiler.returning_fields = [model._meta.pk]
        ((sql, _),) = compiler.as_sql()
        if connections[alias].vendor == "postgresql":
            from mamori.auditlog.triggers import AUDITED_MARK

            sql = AUDITED_MARK + sql  # recorded below, by insert() itself
        inserts[key] = (_for_driver(sql, alias), fields)
    return inserts[key]


def insert(instance: M) -> M:
    """Insert ``instance`` (its primary key is set) and record the change in the audit log."""
    from mamori.auditlog import choke

    model = type(instance)
    alias = "default"
    connection = connections[alias]
    sql, fields = _insert_sql(model, alias)
    params = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    cursor = _cursor(connection)
    try:
        cursor.execute(sql, params)
        if connection.features.can_return_columns_from_insert:
            instance.pk = cursor.fetchone()[0]
        else:
            instance.pk = cursor.lastrowid
    finally:
        cursor.close()
    instance._state.adding = False
    instance._state.db = alias
    choke.record_created(instance)
    return instance
