"""Writes that bypass the ORM, caught by PostgreSQL and recorded in the log (ISM 23-1-2).

Every table of an audited model (:mod:`mamori.auditlog.audited`) has a row trigger and a
TRUNCATE trigger. The ORM's audited writes begin each statement with
:data:`~mamori.auditlog.triggers.AUDITED_MARK` and are recorded by the ORM, so the trigger's
``WHEN`` condition leaves them alone — the function is not even called. Any other write — an
``UPDATE`` in ``psql``, a script, a raw cursor, a data migration — leaves a row in
:class:`~mamori.auditlog.models.Bypass`, in the writer's own transaction (it commits with the
write or not at all): the table, the row's key, SHA-256 digests of the row before and after as
PostgreSQL renders it in JSON (never its values), the database role, the client's address and
application name, and the transaction. :func:`drain` (the checkpoint job, every few seconds)
appends one entry per row — action ``sql.insert``, ``sql.update``, ``sql.delete`` or
``sql.truncate``, actor ``db:<role>``, the transaction as request id — and removes the rows it
recorded, in one transaction.

What this does not stop: whoever may alter the tables (the database owner) can drop or disable
a trigger, or begin a statement with the mark. It catches a mistake or a quiet fix at the
prompt, not a determined administrator; against that stand the database role's privileges and
PostgreSQL's own statement log (``log_statement = 'ddl'`` records a dropped trigger), not
this. SQLite gives a trigger nothing to tell the ORM's statements from others by (no
session, no statement text), so no trigger is made there.

The triggers follow the models: :func:`install_triggers` runs after every ``migrate``, so a new
model's table has them as soon as it exists.
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from mamori.auditlog import choke
from mamori.auditlog.triggers import (
    BYPASS_TABLES,
    DRAIN_MARK,
    bypass_trigger_sql,
    remove_bypass_trigger_sql,
)

__all__ = ["audited_tables", "drain", "install_triggers"]

log = logging.getLogger("mamori.auditlog")

#: Bypass rows recorded per transaction.
BATCH = 1_000


def audited_tables() -> dict[str, tuple[str, str]]:
    """Return, by table, the primary-key column and the label of every audited model's table
    (link tables of ManyToManyFields included)."""
    from mamori.auditlog.audited import uses_audited_queryset

    tables = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.managed or not choke.audited(model) or not uses_audited_queryset(model):
            continue
        tables[meta.db_table] = (meta.pk.column, choke.label(model))
    return tables


def install_triggers(connection: BaseDatabaseWrapper) -> int:
    """Make the bypass triggers again, in one transaction, on every audited table that exists
    (and on no other); return how many tables have them. Without the bypass table (the log
    migrated back before it) there are none. Nothing on databases other than PostgreSQL."""
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        tables = [
            (table, key)
            for table, (key, _) in sorted(audited_tables().items())
            if table in existing
        ]
        if not set(BYPASS_TABLES) <= existing:
            statements, tables = remove_bypass_trigger_sql(connection.vendor), []
        else:
            statements = bypass_trigger_sql(connection.vendor, tables)
        for statement in statements:
            cursor.execute(statement, ())  # "%%" reads "%", as in migrations
    return len(tables)


def after_migrate(using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` receiver: the triggers follow the models."""
    install_triggers(connections[using])


def drain(batch: int = BATCH, using: str = "default") -> int:
    """Record every write the triggers caught as an entry, oldest first, and remove the rows
    recorded; return how many. Safe to run concurrently (a row is recorded once)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    from mamori.auditlog import services, store
    from mamori.auditlog.context import AuditContext
    from mamori.auditlog.models import Bypass

    labels = {table: label for table, (_, label) in audited_tables().items()}
    total = 0
    while True:
        with transaction.atomic(using=using):
            rows = list(
                Bypass.objects.using(using)
                .select_for_update(skip_locked=True)
                .order_by("pk")[:batch]
            )
            if not rows:
                return total
            entries = [
                services.prepare(
                    AuditContext(f"db:{row.db_user}", f"pg-xact:{row.xact}", row.client or None),
                    f"sql.{row.operation.lower()}",
                    labels.get(row.table_name, row.table_name),
                    row.row_id,
                    {
                        "table": row.table_name,
                        "changed_at": row.at.isoformat(),
                        "application": row.application,
                        # SHA-256 of the row as PostgreSQL's JSON of it (jsonb text), which is
                        # not the digest the ORM's entries carry in before/after
                        "row_before": row.row_before or None,
                        "row_after": row.row_after or None,
                    },
                )
                for row in rows
            ]
            store.append(entries)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"{DRAIN_MARK}DELETE FROM auditlog_bypass WHERE id = ANY(%s)",  # noqa: S608
                    [[row.pk for row in rows]],
                )
        total += len(rows)
        log.warning("%d writes that bypassed the ORM recorded in the audit log", len(rows))
