"""Pytest plugin that gives the test run its own data directory and database.

Loaded with ``-p mamori.testing.pytest_plugin`` before pytest-django configures Django:

- ``MAMORI_DATA_DIR`` always points at a fresh temporary directory, so tests never touch a
  real installation;
- ``MAMORI_TEST_DATABASE_URL`` (if set) becomes ``MAMORI_DATABASE_URL`` — the suite runs
  against PostgreSQL with ``MAMORI_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test``;
- ``MAMORI_REQUIRE_SERVICES=1`` turns a skipped "service unreachable" test into a failure;
- signing keys live in a key directory of their own, outside the data directory
  (``MAMORI_SIGNING_KEY_DIR``): every test that uses the database finds the log's and the
  statements' public keys registered, made once per run, unless it is marked
  ``no_signing_keys``; :func:`softhsm_token` gives a test a real SoftHSM2 token of its own.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

_DATA_DIR = tempfile.mkdtemp(prefix="mamori-test-")
os.environ["MAMORI_DATA_DIR"] = _DATA_DIR
os.environ.pop("MAMORI_DATABASE_URL", None)
if os.environ.get("MAMORI_TEST_DATABASE_URL"):
    os.environ["MAMORI_DATABASE_URL"] = os.environ["MAMORI_TEST_DATABASE_URL"]
for _name in ("MAMORI_DEBUG", "MAMORI_TLS", "MAMORI_ALLOWED_HOSTS", "MAMORI_LANGUAGE"):
    os.environ.pop(_name, None)
os.environ["MAMORI_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
_KEY_DIR = tempfile.mkdtemp(prefix="mamori-test-keys-")
os.environ["MAMORI_SIGNING_KEY_DIR"] = _KEY_DIR
for _name in ("MAMORI_PKCS11_MODULE", "MAMORI_PKCS11_TOKEN", "MAMORI_PKCS11_PIN"):
    os.environ.pop(_name, None)
os.environ.pop("MAMORI_PKCS11_PIN_FILE", None)

from mamori.config import load as _load_config  # noqa: E402
from mamori.config import prepare_data_dir as _prepare_data_dir  # noqa: E402
from mamori.core.i18n import compile_catalogues  # noqa: E402

_prepare_data_dir(_load_config())  # the run's own installation: its data directory and key
compile_catalogues()

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"


def services_required() -> bool:
    """Return whether an unreachable service must fail the run instead of skipping."""
    return os.environ.get("MAMORI_REQUIRE_SERVICES", "") in ("1", "true", "yes")


def need_service(name: str, url: str) -> None:
    """Skip (or fail, when services are required) unless ``url``'s host:port accepts TCP."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 0
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as exc:
        message = f"{name} is unreachable at {host}:{port} ({exc})"
    if services_required():
        pytest.fail(message + " and MAMORI_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message)


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker of tests that start without registered signing keys."""
    config.addinivalue_line(
        "markers", "no_signing_keys: the test starts with no signing key registered"
    )


_DB_FIXTURES = ("db", "transactional_db", "live_server", "django_db_reset_sequences")
_PUBLIC_KEYS: dict[str, bytes] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--database-tests-only``: the second database's run (CI runs the suite on SQLite,
    then again on PostgreSQL) keeps only the tests that use Django's test database."""
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that use the test database (the others do not depend on it)",
    )


def _uses_database(item: pytest.Item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return item.get_closest_marker("django_db") is not None or any(
        name in fixtures for name in _DB_FIXTURES
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With ``--database-tests-only``, deselect the tests that never touch the test database:
    pure engine tests and the tests whose child processes make an installation of their own.
    They ran in the first run, and the database named here would not change what they do."""
    if not config.getoption("--database-tests-only"):
        return
    kept = [item for item in items if _uses_database(item)]
    dropped = [item for item in items if not _uses_database(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(autouse=True)
def _signing_keys(request: pytest.FixtureRequest) -> None:
    """Register the run's signing keys (made once, as files in the run's key directory) for
    a test that uses the database, as ``mamori keys init`` would; written with SQL so that
    the log the test reads starts as it did."""
    if not _uses_database(request.node) or request.node.get_closest_marker("no_signing_keys"):
        return
    request.getfixturevalue("_django_db_helper")
    from django.db import connection
    from django.utils import timezone

    from mamori.auditlog import keys
    from mamori.core.signing import KeyFileStore
    from mamori.engines import merkle

    for purpose in ("log", "statement"):
        if keys.current(purpose) is not None:
            continue
        if purpose not in _PUBLIC_KEYS:
            store = KeyFileStore(Path(_KEY_DIR), Path(_DATA_DIR))
            _PUBLIC_KEYS[purpose] = store.create(purpose)
        public_key = _PUBLIC_KEYS[purpose]
        name = keys.name_for(purpose)
        mark = "?" if connection.vendor == "sqlite" else "%s"
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO auditlog_signingkey (purpose, name, key_id, public_key, store,"  # noqa: S608
                f" created_at, created_by) VALUES ({', '.join([mark] * 7)})",
                [
                    purpose,
                    name,
                    merkle.verifier_key_id(name, public_key).hex(),
                    public_key,
                    "file",
                    timezone.now(),
                    "system:test",
                ],
            )


def softhsm_required() -> str:
    """Return the SoftHSM2 module's path; skip (or fail, when services are required) if
    SoftHSM2 is not installed."""
    from mamori.core.signing.demo import softhsm_module

    module = softhsm_module()
    if module is None:
        message = "SoftHSM2 (softhsm2-util and libsofthsm2.so) is not installed"
        if services_required():
            pytest.fail(message + " and MAMORI_REQUIRE_SERVICES=1", pytrace=False)
        pytest.skip(message)
    return module


@pytest.fixture
def softhsm_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Initialise a SoftHSM2 token in ``tmp_path`` (``SOFTHSM2_CONF`` points at its own
    configuration) and return the module, token label and PIN."""
    from mamori.core.signing.demo import init_softhsm_token

    module = softhsm_required()
    conf = init_softhsm_token(tmp_path / "softhsm", "mamori-test", "1234")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    yield {"module": module, "token": "mamori-test", "pin": "1234"}
    shutil.rmtree(tmp_path / "softhsm", ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """Return the URL of the PostgreSQL server for tests that need one."""
    url = os.environ.get("MAMORI_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    need_service("PostgreSQL", url)
    return url


@pytest.fixture(scope="session")
def data_dir() -> str:
    """Return this run's data directory."""
    return _DATA_DIR


@pytest.fixture(scope="session", autouse=True)
def _log_reset_allowed_in_test_flushes(django_db_setup: None, django_db_blocker: Any) -> None:
    """Let the test runner's database flush reset the append-only log tables.

    Only the test database's flush between transactional tests is allowed through: the
    statements Django runs to empty tables are wrapped with suspending and restoring the
    triggers, and on PostgreSQL marked as audited so that the bypass triggers do not record
    the reset. Production has no such path.
    """
    from django.db import connection

    from mamori.auditlog.triggers import AUDITED_MARK, disable_sql, enable_sql

    operations = type(connection.ops)
    original = operations.sql_flush
    if getattr(original, "_mamori_wrapped", False):
        return

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):  # type: ignore[no-untyped-def]
        statements = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        vendor = self.connection.vendor
        if vendor == "postgresql":  # a reset, not a change the bypass triggers should catch
            statements = [AUDITED_MARK + statement for statement in statements]
        if not any(table.startswith("auditlog_") for table in tables):
            return statements
        return [*disable_sql(vendor), *statements, *enable_sql(vendor)]

    sql_flush._mamori_wrapped = True  # type: ignore[attr-defined]
    operations.sql_flush = sql_flush  # type: ignore[method-assign]
    _start_with_an_empty_log(django_db_blocker)


@pytest.fixture(scope="session", autouse=True)
def _no_straggler_sessions_at_teardown(django_db_setup: None, django_db_blocker: Any) -> Any:
    """End what still holds the PostgreSQL test database when the run ends — a server or
    worker process a test killed leaves its backend behind for a moment — so the database
    is dropped instead of being left with a warning."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def _start_with_an_empty_log(blocker: Any) -> None:
    """Empty the log tables of the freshly built test database, once per run.

    Installing mamori logs what it loads (the rule libraries); tests name positions in the
    log they write, and transactional tests restore the database by saving rows again, which
    the append-only triggers refuse. So the test database starts, as a new install's log
    would without its own set-up, empty; the snapshot restored between transactional tests
    is taken again without log rows.
    """
    from django.db import connection

    from mamori.auditlog.triggers import BYPASS_TABLES, KEY_TABLES, TABLES, disable_sql, enable_sql

    with blocker.unblock(), connection.cursor() as cursor:
        if TABLES[0] not in connection.introspection.table_names(cursor):
            return  # no database was set up for this run (no test asked for one)
        vendor = connection.vendor
        for statement in disable_sql(vendor):
            cursor.execute(statement)
        for table in [*reversed(TABLES), *KEY_TABLES, *BYPASS_TABLES]:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        for statement in enable_sql(vendor):
            cursor.execute(statement)
        if getattr(connection, "_test_serialized_contents", None) is not None:
            connection._test_serialized_contents = (  # type: ignore[attr-defined]
                connection.creation.serialize_db_to_string()
            )
