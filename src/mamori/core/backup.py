"""Backup and restore of a whole installation: the database and the data directory's files
(SRM 9-2-1, 14: backups of data and programs, and restoring them, tested).

An archive is a gzip tar holding ``manifest.json`` (format, when, which database, every
member's SHA-256), ``database/`` (SQLite's online backup, consistent while mamori runs; or a
``pg_dump`` custom-format dump) and ``files/`` (the data directory: ``field_key`` — without it
no TOTP seed or encrypted secret can be read —, ``secret_key``, evidence, books, archives).
The archive holds keys: it is written with mode 0600 and must be kept as such.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mamori.config import Config, mask_url

__all__ = ["BackupRefused", "Summary", "backup", "restore"]

FORMAT = "mamori-backup/1"
#: Never copied: rebuilt (static files), live (sockets), or the database copied consistently.
SKIPPED_SUFFIXES = (".sock", "-wal", "-shm", "-journal")
SKIPPED_DIRECTORIES = ("static",)


class BackupRefused(Exception):
    """A backup or restore that cannot be made; the message says why."""


@dataclass(frozen=True)
class Summary:
    """What an archive holds."""

    database: str
    files: int
    size: int


def _sqlite_path(config: Config) -> Path:
    return Path(config.database_url.removeprefix("sqlite:///"))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _database_dump(config: Config, work: Path) -> tuple[str, Path]:
    if config.database_url.startswith("sqlite"):
        source = _sqlite_path(config)
        if not source.exists():
            raise BackupRefused(f"there is no database at {source}")
        target = work / "mamori.sqlite3"
        with sqlite3.connect(source) as live, sqlite3.connect(target) as copy:
            live.backup(copy)  # a consistent copy while others write
        copy.close()
        return "sqlite", target
    target = work / "mamori.pgdump"
    _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), config.database_url])
    return "postgresql", target


def _run(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupRefused(f"{command[0]} is not installed (Debian: postgresql-client)")
    done = subprocess.run(command, capture_output=True, text=True)  # noqa: S603 - fixed tools
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise BackupRefused(f"{command[0]} failed: {mask_url(reason)}")


def _data_files(config: Config) -> list[Path]:
    database = _sqlite_path(config) if config.database_url.startswith("sqlite") else None
    found = []
    for path in sorted(config.data_dir.rglob("*")):
        relative = path.relative_to(config.data_dir)
        if not path.is_file() or relative.parts[0] in SKIPPED_DIRECTORIES:
            continue
        if path.name.endswith(SKIPPED_SUFFIXES) or (database and path == database):
            continue
        found.append(path)
    return found


def backup(config: Config, output: Path) -> Summary:
    """Write the installation described by ``config`` to ``output`` (mode 0600)."""
    if not config.data_dir.is_dir():
        raise BackupRefused(f"there is no installation in {config.data_dir}")
    with tempfile.TemporaryDirectory(prefix="mamori-backup-") as work:
        kind, dump = _database_dump(config, Path(work))
        members: dict[str, tuple[bytes, int]] = {
            f"database/{dump.name}": (dump.read_bytes(), 0o600)
        }
        for path in _data_files(config):
            name = "files/" + path.relative_to(config.data_dir).as_posix()
            members[name] = (path.read_bytes(), path.stat().st_mode & 0o777)
    manifest = {
        "format": FORMAT,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": kind,
        "members": {name: _sha256(data) for name, (data, _) in members.items()},
    }
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
        _add(archive, "manifest.json", json.dumps(manifest, indent=2).encode(), 0o600)
        for name, (data, mode) in members.items():
            _add(archive, name, data, mode)
    return Summary(kind, len(members) - 1, output.stat().st_size)


def _add(archive: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    archive.addfile(info, io.BytesIO(data))


def _read(source: Path) -> tuple[dict[str, object], dict[str, tuple[bytes, int]]]:
    try:
        with tarfile.open(source, mode="r:gz") as archive:
            members = {}
            for info in archive.getmembers():
                if not info.isfile() or info.name.startswith("/") or ".." in info.name.split("/"):
                    raise BackupRefused(f"{source} holds an unexpected member {info.name!r}")
                handle = archive.extractfile(info)
                assert handle is not None
                members[info.name] = (handle.read(), info.mode & 0o777)
    except (OSError, tarfile.TarError) as exc:
        raise BackupRefused(f"{source} is not a mamori backup: {exc}") from None
    manifest = json.loads(members.pop("manifest.json", (b"{}", 0))[0] or b"{}")
    if manifest.get("format") != FORMAT:
        raise BackupRefused(f"{source} is not a mamori backup ({FORMAT})")
    expected: dict[str, str] = manifest["members"]
    damaged = sorted(
        name
        for name in set(expected) | set(members)
        if name not in members or _sha256(members[name][0]) != expected.get(name)
    )
    if damaged:
        raise BackupRefused(f"the backup is damaged: {', '.join(damaged)} do not match")
    return manifest, members


def restore(source: Path, config: Config) -> Summary:
    """Restore ``source`` into the (empty) installation described by ``config``."""
    manifest, members = _read(source)
    kind = str(manifest["database"])
    wanted = "sqlite" if config.database_url.startswith("sqlite") else "postgresql"
    if kind != wanted:
        raise BackupRefused(f"this backup holds a {kind} database; the configured one is {wanted}")
    if config.data_dir.exists() and any(config.data_dir.iterdir()):
        raise BackupRefused(f"{config.data_dir} is not empty: restore into a new data directory")
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (config.data_dir / "static").mkdir(exist_ok=True)
    for name, (data, mode) in members.items():
        if name.startswith("files/"):
            target = config.data_dir / name.removeprefix("files/")
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode or 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
    (name,) = [n for n in members if n.startswith("database/")]
    if kind == "sqlite":
        _sqlite_path(config).write_bytes(members[name][0])
        _sqlite_path(config).chmod(0o600)
    else:
        with tempfile.NamedTemporaryFile(suffix=".pgdump") as dump:
            dump.write(members[name][0])
            dump.flush()
            url = config.database_url
            _run(["pg_restore", "--no-owner", "--exit-on-error", "-d", url, dump.name])
    files = sum(1 for n in members if n.startswith("files/"))
    return Summary(kind, files, source.stat().st_size)
