"""Configuration comes from MAMORI_* variables; a bad value stops start-up with one clear line."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mamori.config import ConfigError, load, mask_url, read_or_create_secret


def run_mamori(*args: str, env: dict[str, str] | None = None, timeout: int = 240):
    """Run the mamori command in a child process with only the MAMORI_* values given (a
    migration from empty takes over a minute on a loaded 2-core machine)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    full_env = {**inherited, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "mamori", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("MAMORI_DEBUG", "maybe", "MAMORI_DEBUG must be a boolean"),
        ("MAMORI_SESSION_IDLE_SECONDS", "ten", "MAMORI_SESSION_IDLE_SECONDS must be an integer"),
        ("MAMORI_SESSION_IDLE_SECONDS", "5", "between 60 and 86400"),
        ("MAMORI_LANGUAGE", "fr", "MAMORI_LANGUAGE must be one of ja, en"),
        ("MAMORI_DATABASE_URL", "mysql://x/y", "MAMORI_DATABASE_URL must start with"),
        ("MAMORI_RISK_SIGNOFF_DAYS", "0", "MAMORI_RISK_SIGNOFF_DAYS must be between 1"),
        ("MAMORI_TRUSTED_PROXIES", "proxy.example", "is not an IP address or network"),
    ],
)
def test_a_wrong_value_names_the_variable(name: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load({name: value})


def test_publish_targets_are_read_and_secrets_stay_out_of_the_repr() -> None:
    config = load(
        {
            "MAMORI_WITNESSES": "https://w1.example/witness w1.example+0a1b2c3d+BASE64=, "
            "http://10.0.0.9:7380 w2+00000000+AAA=",
            "MAMORI_PUBLISH_S3_BUCKET": "audit",
            "MAMORI_PUBLISH_S3_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-secret",
            "MAMORI_PUBLISH_EMAILS": "a@audit.example, b@jvcea.example",
            "MAMORI_SIGNER_STATE": "/var/lib/mamori-signer/state.json",
        }
    )
    assert config.witnesses == (
        ("https://w1.example/witness", "w1.example+0a1b2c3d+BASE64="),
        ("http://10.0.0.9:7380", "w2+00000000+AAA="),
    )
    assert config.publish_emails == ("a@audit.example", "b@jvcea.example")
    assert str(config.signer_state) == "/var/lib/mamori-signer/state.json"
    assert "wJalrXUtnFEMI-secret" not in repr(config)
    with pytest.raises(ConfigError, match="MAMORI_WITNESSES must list"):
        load({"MAMORI_WITNESSES": "w1.example+0a1b2c3d+BASE64="})
    with pytest.raises(ConfigError, match="MAMORI_SIGNER_STATE must be an absolute path"):
        load({"MAMORI_SIGNER_STATE": "state.json"})


def test_defaults_are_safe(tmp_path: Path) -> None:
    config = load({"MAMORI_DATA_DIR": str(tmp_path)})
    assert config.debug is False
    assert config.uses_sqlite
    assert config.database_url.endswith("mamori.sqlite3")
    assert config.language == "ja"


def test_the_secret_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    first = read_or_create_secret(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_or_create_secret(path) == first
    assert len(first) >= 50


def test_a_secret_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    read_or_create_secret(path)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="0600"):
        read_or_create_secret(path)


def test_passwords_are_masked_in_database_urls() -> None:
    assert mask_url("postgres://app:s3cret@db:5432/mamori") == "postgres://app:***@db:5432/mamori"
    assert mask_url("sqlite:////tmp/x.sqlite3") == "sqlite:////tmp/x.sqlite3"


def test_the_command_line_prints_one_line_and_exits_non_zero_on_a_bad_value(
    tmp_path: Path,
) -> None:
    result = run_mamori("check", env={"MAMORI_DATA_DIR": str(tmp_path), "MAMORI_DEBUG": "maybe"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "mamori: configuration error: MAMORI_DEBUG must be a boolean (1/0, true/false, "
        "yes/no), got 'maybe'"
    ]


def test_an_unreachable_database_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    url = "postgres://app:hunter2@127.0.0.1:9/mamori"  # port 9 (discard): nothing listens
    result = run_mamori(
        "migrate", env={"MAMORI_DATA_DIR": str(tmp_path), "MAMORI_DATABASE_URL": url}
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "mamori: cannot connect to the database "
        "MAMORI_DATABASE_URL=postgres://app:***@127.0.0.1:9/mamori"
    )
    assert "hunter2" not in result.stderr


def test_check_deploy_fails_on_unsafe_settings_and_names_them(tmp_path: Path) -> None:
    result = run_mamori(
        "check", "--deploy", env={"MAMORI_DATA_DIR": str(tmp_path), "MAMORI_DEBUG": "1"}
    )
    assert result.returncode != 0
    assert "MAMORI_DEBUG is on" in result.stderr
    assert "MAMORI_TLS is off" in result.stderr


SAFE_PRODUCTION = {
    "MAMORI_TLS": "1",
    "MAMORI_ALLOWED_HOSTS": "mamori.example.jp",
    "MAMORI_DATABASE_URL": "postgres://mamori@db.example.jp:5432/mamori",  # not connected to
    "MAMORI_CSRF_TRUSTED_ORIGINS": "https://mamori.example.jp",
    "MAMORI_WEBHOOK_ALLOWED_HOSTS": "siem.corp.example.jp",
    "MAMORI_LOGIN_LOCK_AFTER": "10",
    "MAMORI_SESSION_IDLE_SECONDS": "28800",
    "MAMORI_SIGNING_KEY_DIR": "/etc/mamori/keys",
    "MAMORI_SIGNER_STATE": "/var/lib/mamori-signer/state.json",
    "MAMORI_PUBLISH_DIR": "/mnt/audit-checkpoints",
}


def test_check_deploy_passes_a_safe_production_configuration(tmp_path: Path) -> None:
    read_or_create_secret(tmp_path / "secret_key")  # an installed system (mamori migrate made it)
    result = run_mamori(
        "check", "--deploy", env={"MAMORI_DATA_DIR": str(tmp_path), **SAFE_PRODUCTION}
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_refuses_loose_settings_each_naming_the_variable_to_change(
    tmp_path: Path,
) -> None:
    unsafe = {
        **SAFE_PRODUCTION,
        "MAMORI_DATABASE_URL": "",  # the embedded SQLite file
        "MAMORI_WEBHOOK_ALLOWED_HOSTS": "169.254.169.254,10.0.0.5,[::1],metadata.google.internal",
        "MAMORI_CSRF_TRUSTED_ORIGINS": "http://mamori.example.jp,https://evil.example",
        "MAMORI_LOGIN_LOCK_AFTER": "1000",
        "MAMORI_SESSION_IDLE_SECONDS": "86400",
        "MAMORI_SIGNING_KEY_DIR": "",  # nowhere to keep signing keys
        "MAMORI_SIGNER_STATE": str(tmp_path / "signer.json"),  # in the data directory
        "MAMORI_PUBLISH_DIR": "",  # no checkpoint leaves mamori
    }
    result = run_mamori("check", "--deploy", env={"MAMORI_DATA_DIR": str(tmp_path), **unsafe})
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if "(mamori.E" in line]
    expected = [
        ("E005", "MAMORI_WEBHOOK_ALLOWED_HOSTS names 169.254.169.254, a link-local address"),
        ("E005", "MAMORI_WEBHOOK_ALLOWED_HOSTS names 10.0.0.5, a private address"),
        ("E005", "MAMORI_WEBHOOK_ALLOWED_HOSTS names [::1], a loopback address"),
        ("E005", "names metadata.google.internal, a name of this machine or of a cloud metadata"),
        ("E006", "MAMORI_CSRF_TRUSTED_ORIGINS lists http://mamori.example.jp, but it is not https"),
        ("E006", "lists https://evil.example, but its host is not one of MAMORI_ALLOWED_HOSTS"),
        ("E007", "MAMORI_LOGIN_LOCK_AFTER is 1000"),
        ("E008", "MAMORI_SESSION_IDLE_SECONDS is 86400"),
        ("E009", "The database is SQLite"),
        ("E012", "No place for signing keys is configured"),
        ("E010", "MAMORI_SIGNER_STATE is not set or lies in the data directory"),
        ("E011", "No checkpoint of the audit log leaves mamori"),
    ]
    for code, words in expected:
        assert any(f"(mamori.{code})" in e and words in e for e in errors), (code, errors)
    assert len(errors) == len(expected)
    assert "MAMORI_DATABASE_URL=postgres://" in result.stderr  # the hint names what to set


def test_tls_turns_on_secure_cookies_and_hsts(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    base = {"MAMORI_DATA_DIR": str(tmp_path)}
    plain = run_mamori("shell", "--no-imports", "-c", code, env=base)
    tls = run_mamori("shell", "--no-imports", "-c", code, env={**base, "MAMORI_TLS": "1"})
    assert plain.stdout.split() == ["False", "False", "0"]
    assert tls.stdout.split() == ["True", "True", "31536000"]


def test_reading_the_settings_writes_nothing(tmp_path: Path) -> None:
    """Importing mamori.settings (as mypy, a linter or a shell does) creates no directory and
    no secret; `mamori migrate` prepares the installation, and a command on a data directory
    that does not exist says so instead of creating one."""
    data = tmp_path / "nowhere"
    env = {**os.environ, "MAMORI_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "mamori.settings"}
    env.pop("MAMORI_DATABASE_URL", None)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    assert not data.exists()
    refused = subprocess.run(
        [sys.executable, "-m", "mamori", "log", "verify"], env=env, capture_output=True, text=True
    )
    assert refused.returncode == 1
    assert "there is no installation in" in refused.stderr and not data.exists()
    subprocess.run(
        [sys.executable, "-m", "mamori", "migrate", "-v0"], env=env, check=True, capture_output=True
    )
    assert (data / "secret_key").stat().st_mode & 0o777 == 0o600
    assert data.stat().st_mode & 0o777 == 0o700


def test_the_trusted_proxies_are_read_as_addresses_and_networks() -> None:
    config = load({"MAMORI_TRUSTED_PROXIES": "10.0.0.5, 192.168.10.0/24"})
    assert config.trusted_proxies == ("10.0.0.5", "192.168.10.0/24")
    assert load({}).trusted_proxies == ("127.0.0.1",)
