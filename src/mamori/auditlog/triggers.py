"""SQL that makes the log's tables append-only, per database vendor (used by migration 0002),
the signing-key table (migration 0004: a key row is never changed or removed), and on
PostgreSQL the triggers that catch writes bypassing the ORM (ISM 23-1-2; migration 0007 and
:mod:`mamori.auditlog.bypass`)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AUDITED_MARK",
    "BYPASS_TABLES",
    "DRAIN_MARK",
    "KEY_TABLES",
    "TABLES",
    "bypass_table_sql",
    "bypass_trigger_sql",
    "disable_sql",
    "enable_sql",
    "install_key_sql",
    "install_sql",
    "remove_bypass_table_sql",
    "remove_bypass_trigger_sql",
    "remove_key_sql",
    "remove_sql",
]

#: The log (runs), its node cache, its checkpoints and its search index: all append-only.
TABLES = ["auditlog_run", "auditlog_node", "auditlog_checkpoint", "auditlog_entry"]

#: The public signing keys: a rotation adds a row, nothing changes or removes one.
KEY_TABLES = ["auditlog_signingkey"]

#: Writes the triggers caught, kept until they are recorded in the log (PostgreSQL).
BYPASS_TABLES = ["auditlog_bypass"]

#: What every statement of an audited ORM write starts with on PostgreSQL: the bypass triggers
#: leave those rows alone, since the ORM records them (:mod:`mamori.auditlog.audited`).
AUDITED_MARK = "/* mamori:audited */ "

#: What the statement that removes recorded bypass rows starts with (nothing else may).
DRAIN_MARK = "/* mamori:drain */ "

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
        return [
            f"ALTER TABLE {table} DISABLE TRIGGER USER"
            for table in TABLES + KEY_TABLES + BYPASS_TABLES
        ]
    return remove_sql(vendor) + remove_key_sql(vendor)


def enable_sql(vendor: str) -> list[str]:
    """Return statements that restore what :func:`disable_sql` suspended."""
    if vendor == "postgresql":
        return [
            f"ALTER TABLE {table} ENABLE TRIGGER USER"
            for table in TABLES + KEY_TABLES + BYPASS_TABLES
        ]
    return install_sql(vendor) + install_key_sql(vendor)


# The bypass table keeps what it caught until the log holds it: rows are never changed, and
# only the statement that records them (it starts with DRAIN_MARK) removes them.
BYPASS_GUARD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION mamori_auditlog_bypass_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND starts_with(current_query(), '{DRAIN_MARK.strip()}') THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'writes that bypassed the ORM are kept until logged: %% on %% refused',
        TG_OP, TG_TABLE_NAME;
END
$$ LANGUAGE plpgsql
"""


def bypass_table_sql(vendor: str) -> list[str]:
    """Return the statements that guard the bypass table (PostgreSQL only: elsewhere no
    trigger writes to it)."""
    if vendor != "postgresql":
        return []
    statements = [BYPASS_GUARD_FUNCTION]
    for table in BYPASS_TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION mamori_auditlog_bypass_guard()"
        )
        statements.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION mamori_auditlog_bypass_guard()"
        )
    return statements


def remove_bypass_table_sql(vendor: str) -> list[str]:
    """Return the statements that drop what :func:`bypass_table_sql` made."""
    if vendor != "postgresql":
        return []
    statements = [
        f"DROP TRIGGER IF EXISTS {table}_{suffix} ON {table}"
        for table in BYPASS_TABLES
        for suffix in ("guard", "no_truncate")
    ]
    return [*statements, "DROP FUNCTION IF EXISTS mamori_auditlog_bypass_guard()"]


# One row per row written (its key and SHA-256 digests of the row before and after as
# PostgreSQL's JSON of it: the values never leave the table), or one per TRUNCATE; with who
# (the database role, the client's address and application name) and the transaction.
# TG_ARGV[0] names the table's primary-key column.
BYPASS_FUNCTION = """
CREATE OR REPLACE FUNCTION mamori_auditlog_bypass() RETURNS trigger AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) END;
BEGIN
    INSERT INTO auditlog_bypass (at, operation, table_name, row_id, row_before, row_after,
                                 db_user, application, client, xact)
    VALUES (
        clock_timestamp(),
        TG_OP,
        TG_TABLE_NAME,
        COALESCE(COALESCE(new_row, old_row) ->> TG_ARGV[0], ''),
        COALESCE(encode(sha256(convert_to(old_row::text, 'UTF8')), 'hex'), ''),
        COALESCE(encode(sha256(convert_to(new_row::text, 'UTF8')), 'hex'), ''),
        session_user,
        COALESCE(current_setting('application_name', true), ''),
        COALESCE(host(inet_client_addr()), ''),
        txid_current()
    );
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

# Evaluated by the trigger itself, without calling the function: an audited write costs only
# the comparison.
_UNMARKED = f"NOT starts_with(current_query(), '{AUDITED_MARK.strip()}')"


# Every bypass trigger there is, whatever table it is on ("%%" because the statement goes
# through a driver that reads "%" as a placeholder).
_DROP_BYPASS_TRIGGERS = """
DO $$
DECLARE trig record;
BEGIN
    FOR trig IN SELECT tgname, tgrelid::regclass AS rel FROM pg_trigger
                 WHERE tgname IN ('mamori_bypass', 'mamori_bypass_truncate') LOOP
        EXECUTE format('DROP TRIGGER %%I ON %%s', trig.tgname, trig.rel);
    END LOOP;
END
$$
"""


def bypass_trigger_sql(vendor: str, tables: Sequence[tuple[str, str]]) -> list[str]:
    """Return the statements that make every write to ``tables`` (table, primary-key column),
    and to those alone, that is not marked as audited leave a row in the bypass table
    (PostgreSQL only; the triggers on other tables are dropped)."""
    if vendor != "postgresql":
        return []
    statements = [BYPASS_FUNCTION, _DROP_BYPASS_TRIGGERS]
    for table, key in tables:
        statements += [
            f"CREATE TRIGGER mamori_bypass AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW WHEN ({_UNMARKED}) EXECUTE FUNCTION mamori_auditlog_bypass('{key}')",
            f"CREATE TRIGGER mamori_bypass_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT WHEN ({_UNMARKED}) EXECUTE FUNCTION mamori_auditlog_bypass('')",
        ]
    return statements


def remove_bypass_trigger_sql(vendor: str) -> list[str]:
    """Return the statements that drop every bypass trigger and their function."""
    if vendor != "postgresql":
        return []
    return [_DROP_BYPASS_TRIGGERS, "DROP FUNCTION IF EXISTS mamori_auditlog_bypass()"]
