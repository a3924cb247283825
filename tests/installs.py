"""Installations that child-process tests start from, made once and copied.

A migration from empty takes half a minute of CPU (Django renders the migration state of
some 300 models again and again) and the demo another half; a dozen tests that start real
``mamori`` processes each made their own. Here each is made once per test session, by the
same command a person runs, under a lock the xdist workers share, and every test gets a
copy of its own:

- :meth:`Installs.migrated`: a data directory on which ``mamori migrate`` has run;
- :meth:`Installs.demo`: one on which ``mamori demo --no-serve`` has run;
- :meth:`Installs.postgres`: a PostgreSQL database of its own, migrated, made with
  ``CREATE DATABASE … TEMPLATE`` from a template database named by a digest of the source
  (so a changed migration or seed makes a new one, and an unchanged tree reuses it).

Tests *about* migrating or making the demo still run those commands themselves.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import mamori
from tests.core.test_config import run_mamori

__all__ = ["Installs", "installs"]

SOURCE = Path(mamori.__file__).parent


def _run(args: list[str], env: dict[str, str] | None = None) -> None:
    """Run ``mamori ARGS`` as a new process would (:func:`run_mamori`); fail loudly."""
    done = run_mamori(*args, env=env, timeout=600)
    assert done.returncode == 0, f"mamori {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created) for the block, across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def source_digest() -> str:
    """Return a digest of mamori's source (code, migrations, seeds): what a migrated database
    is made of."""
    digest = hashlib.sha256()
    for path in sorted(SOURCE.rglob("*")):
        if path.is_file() and path.suffix in {".py", ".yaml", ".yml", ".json", ".csv", ".toml"}:
            digest.update(str(path.relative_to(SOURCE)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Installs:
    """Where this session's templates live (a folder every xdist worker shares)."""

    root: Path

    def _template(self, kind: str, args: list[str]) -> Path:
        template = self.root / kind
        with _locked(self.root / f"{kind}.lock"):
            if not (template / ".made").exists():
                shutil.rmtree(template, ignore_errors=True)
                _run([*args, "--data-dir", str(template)])
                (template / ".made").write_text("made\n", encoding="utf-8")
        return template

    def _copy(self, template: Path, target: Path) -> Path:
        shutil.copytree(template, target, symlinks=True, dirs_exist_ok=True)
        (target / ".made").unlink()
        return target

    def migrated(self, target: Path) -> Path:
        """Give ``target`` (made if missing) a migrated SQLite installation; return it."""
        return self._copy(self._template("migrated", ["migrate"]), target)

    def demo(self, target: Path) -> Path:
        """Give ``target`` the demo exchange, as ``mamori demo --no-serve`` makes it."""
        return self._copy(self._template("demo", ["demo", "--no-serve"]), target)

    @contextlib.contextmanager
    def postgres(self, server_url: str, prefix: str = "mamori_test") -> Iterator[str]:
        """Yield the URL of a new migrated database on ``server_url``'s server, dropped after."""
        import psycopg

        admin = server_url.replace("postgres://", "postgresql://")
        base = admin.rsplit("/", 1)[0]
        template = f"mamori_template_{source_digest()}"
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with (
            _locked(self.root / "postgres.lock"),
            psycopg.connect(admin, autocommit=True) as db,
        ):
            made = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
            if made.fetchone() is None:
                # built under a name of its own, renamed when whole: another session
                # building the same template at once loses the rename and drops its own
                building = f"{template}_{uuid.uuid4().hex[:8]}"
                db.execute(f'CREATE DATABASE "{building}"')
                try:
                    _run(
                        ["migrate", "--data-dir", str(self.root / "postgres-data")],
                        {"MAMORI_DATABASE_URL": f"{base}/{building}"},
                    )
                    db.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
                except psycopg.errors.DuplicateDatabase:
                    db.execute(f'DROP DATABASE "{building}" WITH (FORCE)')
                except BaseException:
                    db.execute(f'DROP DATABASE "{building}" WITH (FORCE)')
                    raise
            db.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        try:
            yield f"{base}/{name}"
        finally:
            with psycopg.connect(admin, autocommit=True) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def installs(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Installs:
    """This session's installation templates (shared by the xdist workers)."""
    base = tmp_path_factory.getbasetemp()
    root = base if worker_id == "master" else base.parent
    return Installs(root / "installs")
