"""The fast path of configuration imports: many rows per INSERT, each row still recorded in the
audit log (SRM 12-4; ISM 23-1-2).

Django's ``bulk_create`` builds a model instance and compiles each value through the ORM for
every row, and on SQLite sends at most 999 parameters a statement; a million items with three
million relations spend most of their time there. :func:`insert` sends the rows' values as
multi-row ``INSERT … RETURNING`` statements (marked as audited writes, as the ORM's are, so
PostgreSQL's bypass triggers leave them alone) and records each row exactly as
:func:`mamori.auditlog.choke.record_created` does — a ``create`` entry with the digest of the
row's values — appending the entries of a batch to the log in one go. Nothing is written
unrecorded; the import's transaction keeps rows and entries together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models

from mamori.auditlog import choke
from mamori.auditlog.audited import marked
from mamori.auditlog.services import appended_together, record_change

__all__ = ["ROWS", "insert"]

#: Rows per INSERT statement (SQLite takes 32,766 parameters a statement).
ROWS = 1_000


#: Columns whose Python value is what the database driver takes as it is.
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.ForeignKey)


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """Return how a value of ``field`` is prepared for the database (None: as it is)."""
    if isinstance(field, _PLAIN):
        return None

    def prep(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    return prep


def insert(
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    key: Callable[[dict[str, Any]], tuple[Any, ...]],
    key_columns: Sequence[str],
) -> dict[tuple[Any, ...], int]:
    """Insert ``rows`` (each ``{attname: value}`` of every concrete column but the key) and
    record each; return the new primary keys by ``key(row)``, which must be unique and made
    of ``key_columns``, read back from the statement's ``RETURNING``."""
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    column_of = {f.attname: f.column for f in meta.concrete_fields}
    returned = ", ".join(
        connection.ops.quote_name(column_of[name]) for name in ("id", *key_columns)
    )
    label = choke.label(model)
    prepared = [(f.attname, _converter(f)) for f in fields]
    found: dict[tuple[Any, ...], int] = {}
    with marked(connection.alias), connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS):
            chunk = rows[start : start + ROWS]
            one = "(" + ", ".join(["%s"] * len(fields)) + ")"
            table = connection.ops.quote_name(meta.db_table)
            values = ", ".join([one] * len(chunk))
            # quoted names of the model's own columns; every value is a parameter
            sql = f"INSERT INTO {table} ({columns}) VALUES {values} RETURNING {returned}"  # noqa: S608
            params: list[Any] = []
            for row in chunk:
                params.extend(
                    row[name] if prep is None or row[name] is None else prep(row[name])
                    for name, prep in prepared
                )
            cursor.execute(sql, params)
            keys = {tuple(back[1:]): back[0] for back in cursor.fetchall()}
            with appended_together():
                for row in chunk:
                    pk = keys[key(row)]
                    found[key(row)] = pk
                    digest = choke.row_digest({"id": pk, **row})
                    record_change("create", label, str(pk), None, digest, {})
    return found
