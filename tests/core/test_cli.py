"""The mamori command: demo, demo-code, serve, token — run as a newcomer would."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.core.test_config import run_mamori
from tests.installs import Installs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_prepares_an_embedded_database_and_prints_how_to_sign_in(tmp_path: Path) -> None:
    result = run_mamori("demo", "--no-serve", "--data-dir", str(tmp_path), timeout=120)
    assert result.returncode == 0, result.stderr
    assert "mamori-demo-2026" in result.stdout
    for username in ("sato", "takahashi", "watanabe", "kato"):
        assert username in result.stdout
    database = tmp_path / "mamori.sqlite3"
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        roles = connection.execute(
            "SELECT COUNT(DISTINCT role_id) FROM accounts_roleassignment"
        ).fetchone()[0]
        total = connection.execute("SELECT COUNT(*) FROM accounts_role").fetchone()[0]
        halts = connection.execute(
            "SELECT rule, event_id FROM custody_halt WHERE lifted_at IS NULL AND key = 'BTC'"
        ).fetchall()
        drain = connection.execute(
            "SELECT event_id, action, reasons FROM custody_monitorrecord"
            " WHERE event_id LIKE 'demo-drain-%' AND event_id NOT LIKE '%-sent' ORDER BY id"
        ).fetchall()
    assert roles == total == 14  # people in every role (the representative director too)
    # the day's Coincheck-like drain is halted at its first breach, the rest refused
    ((rule, cause),) = halts
    actions = [action for _, action, _ in drain]
    first = actions.index("halt")
    assert rule == "btc-all-halt" and cause == drain[first][0]
    assert set(actions[:first]) <= {"allow", "hold"} and len(actions) == 40
    assert all(a == "reject" and '"halted"' in r for _, a, r in drain[first + 1 :])
    again = run_mamori("demo", "--no-serve", "--data-dir", str(tmp_path), timeout=120)
    assert again.returncode == 0  # idempotent

    code = run_mamori("demo-code", "sato", "--data-dir", str(tmp_path))
    assert code.returncode == 0
    assert code.stdout.strip().isdigit() and len(code.stdout.strip()) == 6


def test_demo_code_finds_the_demo_from_the_folder_it_was_made_in(
    tmp_path: Path, installs: Installs
) -> None:
    import os as _os

    # the demo started again in the folder (made there once: the session's copy) finds it
    installs.demo(tmp_path / ".mamori-demo")
    inherited = {k: v for k, v in _os.environ.items() if not k.startswith("MAMORI_")}
    for args in (["demo", "--no-serve"], ["demo-code", "suzuki"]):
        result = subprocess.run(
            [sys.executable, "-m", "mamori", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=inherited,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
    assert result.stdout.strip().isdigit()
    assert (tmp_path / ".mamori-demo" / "mamori.sqlite3").exists()


def test_demo_code_refuses_a_data_directory_that_is_not_a_demo(
    tmp_path: Path, installs: Installs
) -> None:
    installs.migrated(tmp_path)
    result = run_mamori("demo-code", "sato", "--data-dir", str(tmp_path))
    assert result.returncode != 0
    assert "only in a data directory made by `mamori demo`" in result.stderr


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = run_mamori("serve", "--data-dir", str(tmp_path), "--port", str(free_port()))
    assert result.returncode != 0
    assert "run `mamori migrate` first" in result.stderr


def test_serve_runs_the_asgi_server_with_workers(tmp_path: Path, installs: Installs) -> None:
    installs.migrated(tmp_path)
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mamori",
            "serve",
            "--data-dir",
            str(tmp_path),
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")},
    )
    try:
        body = _wait_for(f"http://127.0.0.1:{port}/api/health")
        assert body["status"] == "ok"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/") as page:
            assert page.headers["X-Frame-Options"] == "DENY"
            assert "サインイン" in page.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/mamori/mamori.css") as css:
            assert css.status == 200
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for(url: str) -> dict[str, str]:
    deadline = time.monotonic() + 90  # two workers and a decider start slowly when loaded
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_token_commands_issue_list_and_revoke(tmp_path: Path, installs: Installs) -> None:
    data = ["--data-dir", str(tmp_path)]
    installs.migrated(tmp_path)
    created = run_mamori("token", "create", "--name", "gateway", "--scope", "accounts:read", *data)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("mamori_")
    listing = run_mamori("token", "list", *data).stdout
    assert "gateway" in listing and secret not in listing
    prefix = secret.split("_")[1]
    assert "revoked" in run_mamori("token", "revoke", prefix, *data).stdout
    assert "revoked" in run_mamori("token", "list", *data).stdout
    bad = run_mamori("token", "create", "--name", "x", "--scope", "nope:x", *data)
    assert bad.returncode != 0
    assert "不明なスコープ: nope:x" in bad.stderr  # the installation speaks Japanese


@pytest.mark.postgres
def test_migrate_and_demo_run_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    import psycopg

    name = f"mamori_cli_{uuid.uuid4().hex[:12]}"
    admin_url = postgres_url.replace("postgres://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
        result = run_mamori(
            "demo",
            "--no-serve",
            "--data-dir",
            str(tmp_path),
            env={"MAMORI_DATABASE_URL": url},
            timeout=180,
        )
        assert result.returncode == 0, result.stderr
        assert "postgres" in result.stdout
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_worker_runs_due_jobs_once_and_jobs_can_be_listed_and_run(
    tmp_path: Path, installs: Installs
) -> None:
    data = ["--data-dir", str(tmp_path)]
    installs.demo(tmp_path)
    worker = run_mamori("worker", "--once", *data)
    assert worker.returncode == 0, worker.stderr
    # the demo ran the worker's first tick itself (so that a fresh demo's checks see jobs
    # that ran); a job that ran then has its run on record, and is not run again for that slot
    delivered = run_mamori("jobs", "runs", "notifications.deliver", *data)
    assert delivered.returncode == 0 and "succeeded" in delivered.stdout, delivered.stdout
    again = run_mamori("worker", "--once", *data)
    # A second tick runs no job again for a slot the first tick ran (a new minute may bring new
    # slots, which run once each).
    runs = [
        tuple(line.split()[:3])
        for line in (worker.stdout + again.stdout).splitlines()
        if line.endswith("succeeded")
    ]
    assert runs and len(runs) == len(set(runs)), runs
    listing = run_mamori("jobs", "list", *data).stdout
    assert "accounts.access_review" in listing and "毎日 06:00" in listing  # in Japanese
    manual = run_mamori("jobs", "run", "approvals.expire", *data)
    assert manual.returncode == 0 and "succeeded" in manual.stdout
    unknown = run_mamori("jobs", "run", "nope", *data)
    assert unknown.returncode != 0 and "no job 'nope'" in unknown.stderr


def test_one_shot_commands_skip_the_system_checks_that_setting_up_and_serving_run() -> None:
    """An operator's command starts in about half the time: the checks (every view and API
    schema imported) ran when the installation was set up and when the server started."""
    from mamori.cli import _without_checks

    assert _without_checks(["token", "list"]) == ["token", "--skip-checks", "list"]
    assert _without_checks(["heartbeat", "matching"]) == ["heartbeat", "--skip-checks", "matching"]
    for checked in (["migrate"], ["serve", "--port", "8000"], ["check", "--deploy"], ["setup"]):
        assert _without_checks(checked) == checked
    assert _without_checks(["shell", "-c", "1"]) == ["shell", "-c", "1"]  # runs none anyway
    assert _without_checks(["nosuch"]) == ["nosuch"]  # Django says it is unknown
    assert _without_checks(["token", "--skip-checks"]) == ["token", "--skip-checks"]
