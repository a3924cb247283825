"""SQL that makes the log's tables append-only, per database vendor (used by migration 0002),
and the signing-key table (migration 0004: a key row is never changed or removed)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "KEY_TABLES",
    "TABLES",
    "disable_sql",
    "enable_sql",
    "install_key_sql",
    "install_sql",
    "remove_key_sql",
    "remove_sql",
]

#: The log (runs), its node cache, its checkpoints and its search index: all append-only.
TABLES = ["auditlog_run", "auditlog_node", "auditlog_checkpoint", "auditlog_entry"]

#: The public signing keys: a rotation adds a row, nothing changes or removes one.
KEY_TABLES = ["auditlog_signingkey"]

# "%%" because the statement goes through a driver that reads "%" as a placeholder.
POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION mamori_auditlog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: %% on %% refused', TG_OP, TG_TABLE_NAME;
END
$$ LANGUAGE plpgsql
"""


KEYS_POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION mamori_signing_keys_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'signing keys are append-only: %% on %% refused', TG_OP, TG_TABLE_NAME;
END
$$ LANGUAGE plpgsql
"""


def _sqlite_trigger(table: str, op: str, what: str = "the audit log is") -> str:
    return (
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{what} append-only: {op} on {table} refused'); END"
    )


def install_key_sql(vendor: str) -> list[str]:
    """Return the statements that refuse UPDATE, DELETE (and TRUNCATE) of a signing key."""
    if vendor == "postgresql":
        statements = [KEYS_POSTGRES_FUNCTION]
        for table in KEY_TABLES:
            statements.append(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION mamori_signing_keys_append_only()"
            )
            statements.append(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION mamori_signing_keys_append_only()"
            )
        return statements
    if vendor == "sqlite":
        return [
            _sqlite_trigger(table, op, "signing keys are")
            for table in KEY_TABLES
            for op in ("UPDATE", "DELETE")
        ]
    return []


def remove_key_sql(vendor: str) -> list[str]:
    """Return the statements that drop the signing-key triggers."""
    return remove_sql(vendor, KEY_TABLES)


def install_sql(vendor: str, tables: Sequence[str] = ()) -> list[str]:
    """Return the statements that refuse UPDATE and DELETE (and TRUNCATE) on ``tables`` (the
    log's tables by default)."""
    tables = tables or TABLES
    if vendor == "postgresql":
        statements = [POSTGRES_FUNCTION]
        for table in tables:
            statements.append(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION mamori_auditlog_append_only()"
            )
            statements.append(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION mamori_auditlog_append_only()"
            )
        return statements
    if vendor == "sqlite":
        return [_sqlite_trigger(table, op) for table in tables for op in ("UPDATE", "DELETE")]
    return []


def remove_sql(vendor: str, tables: Sequence[str] = ()) -> list[str]:
    """Return the statements that drop those triggers."""
    tables = tables or TABLES
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_{suffix} ON {table}"
            for table in tables
            for suffix in ("append_only", "no_truncate")
        ]
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_{op}"
            for table in tables
            for op in ("update", "delete")
        ]
    return []


def disable_sql(vendor: str) -> list[str]:
    """Return statements that suspend the triggers (test-database resets only)."""
    if vendor == "postgresql":
        return [f"ALTER TABLE {table} DISABLE TRIGGER USER" for table in TABLES + KEY_TABLES]
    return remove_sql(vendor) + remove_key_sql(vendor)


def enable_sql(vendor: str) -> list[str]:
    """Return statements that restore what :func:`disable_sql` suspended."""
    if vendor == "postgresql":
        return [f"ALTER TABLE {table} ENABLE TRIGGER USER" for table in TABLES + KEY_TABLES]
    return install_sql(vendor) + install_key_sql(vendor)
