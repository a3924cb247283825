"""Backup and restore drill (SRM 9-2-1, 14): a running demo is backed up, restored into a new
data directory, and there the audit log verifies and the encrypted TOTP seeds still work."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.core.test_cli import _wait_for, free_port
from tests.core.test_config import run_mamori
from tests.installs import Installs

pytestmark = pytest.mark.timeout(600)


def test_a_running_demo_is_backed_up_and_restored_into_a_new_data_directory(
    tmp_path: Path, installs: Installs
) -> None:
    live, restored = tmp_path / "live", tmp_path / "restored"
    installs.demo(live)  # the running demo serves it (and does not have to make it)
    port = free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "mamori", "demo", "--data-dir", str(live), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")},
        start_new_session=True,
    )
    archive = tmp_path / "mamori-backup.tar.gz"
    try:
        _wait_for(f"http://127.0.0.1:{port}/api/health")
        made = run_mamori("backup", str(archive), "--data-dir", str(live), timeout=300)
        assert made.returncode == 0, made.stderr
        assert "keys included" in made.stdout
    finally:
        os.killpg(demo.pid, 15)
        demo.wait(timeout=60)
    assert archive.stat().st_mode & 0o777 == 0o600  # it holds the keys
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "files/field_key" in names and "database/mamori.sqlite3" in names
    assert not any(n.startswith("files/static/") or n.endswith("-wal") for n in names)

    done = run_mamori("restore", str(archive), "--data-dir", str(restored), timeout=300)
    assert done.returncode == 0, done.stderr
    assert run_mamori("migrate", "--data-dir", str(restored), timeout=300).returncode == 0
    verified = run_mamori("log", "verify", "--data-dir", str(restored), timeout=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    code = run_mamori("demo-code", "sato", "--data-dir", str(restored))  # seeds decrypt there
    assert code.returncode == 0 and code.stdout.strip().isdigit(), code.stderr

    again = run_mamori("restore", str(archive), "--data-dir", str(restored))
    assert again.returncode != 0 and "is not empty" in again.stderr


def test_a_damaged_backup_is_refused_naming_what_does_not_match(
    tmp_path: Path, installs: Installs
) -> None:
    live = installs.migrated(tmp_path / "live")
    archive = tmp_path / "backup.tar.gz"
    assert run_mamori("backup", str(archive), "--data-dir", str(live)).returncode == 0
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(damaged, "w:gz") as tar:
        for member, data in members:
            if member.name == "files/secret_key":
                data = b"x" * len(data)
            tar.addfile(member, io.BytesIO(data))
    refused = run_mamori("restore", str(damaged), "--data-dir", str(tmp_path / "new"))
    assert refused.returncode != 0
    assert "the backup is damaged: files/secret_key do not match" in refused.stderr
    assert not (tmp_path / "new").exists() or not any((tmp_path / "new").iterdir())
