"""Read mamori's configuration from the environment, validating every value.

Every setting has a ``MAMORI_*`` environment variable. A value of the wrong type stops
start-up with :class:`ConfigError`, whose message names the variable and what was expected,
so the command line can print one line and exit non-zero.

This module imports nothing from Django: ``mamori.settings`` calls :func:`load` and the CLI
calls it first so that a bad value is reported before Django starts.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "Config",
    "ConfigError",
    "load",
    "mask_url",
    "prepare_data_dir",
    "read_or_create_secret",
    "read_secret",
]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(Exception):
    """A configuration value is missing, malformed or unsafe."""


@dataclass(frozen=True)
class Config:
    """The validated configuration of one mamori process."""

    data_dir: Path
    database_url: str
    debug: bool
    tls: bool
    allowed_hosts: tuple[str, ...]
    csrf_trusted_origins: tuple[str, ...]
    trusted_proxies: tuple[str, ...]
    session_idle_seconds: int
    login_slowdown_after: int
    login_lock_after: int
    login_lock_seconds: int
    login_source_lock_after: int
    language: str
    time_zone: str
    secret_key_file: Path
    log_level: str
    smtp_url: str
    mail_from: str
    webhook_allowed_hosts: tuple[str, ...]
    nats_url: str
    log_origin: str
    evidence_max_bytes: int = 25 * 1024 * 1024
    reconcile_at: str = "06:00"
    book_max_age_hours: int = 26
    signoff_days: int = 365
    signing_key_dir: Path | None = None
    pkcs11_module: str = ""
    pkcs11_token: str = ""
    pkcs11_pin: str = ""
    pkcs11_pin_file: Path | None = None
    signer_state: Path | None = None
    publish_dir: Path | None = None
    publish_s3_endpoint: str = ""
    publish_s3_bucket: str = ""
    publish_s3_prefix: str = ""
    publish_s3_region: str = ""
    publish_s3_access_key: str = ""
    publish_s3_secret_key: str = field(default="", repr=False)
    publish_emails: tuple[str, ...] = ()
    publish_email_hours: int = 24
    witnesses: tuple[tuple[str, str], ...] = ()
    #: How far behind its asset's newest deposit a deposit may be reported by its chain time
    #: and still be counted where it belongs (ISM 27-2: confirmations take time).
    custody_deposit_delay_hours: int = 24

    @property
    def uses_sqlite(self) -> bool:
        """Return whether the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite:")


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be a boolean (1/0, true/false, yes/no), got {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def _list(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None:
        return default
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, default).strip()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _database_url(env: Mapping[str, str], data_dir: Path) -> str:
    raw = env.get("MAMORI_DATABASE_URL", "").strip()
    if not raw:
        return f"sqlite:///{data_dir / 'mamori.sqlite3'}"
    scheme = urlsplit(raw).scheme
    if scheme not in ("sqlite", "postgres", "postgresql"):
        raise ConfigError(
            "MAMORI_DATABASE_URL must start with sqlite:// or postgres://, "
            f"got scheme {scheme or '(none)'!r}"
        )
    return raw


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not parts.hostname:
        raise ConfigError(f"{name} must look like {schemes[0]}://host:port, got {mask_url(raw)!r}")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ConfigError(f"{name} has an invalid port: {mask_url(raw)!r}") from None
    return raw


def _clock(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, default).strip()
    hours, _, minutes = value.partition(":")
    if (
        not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60)
        or len(minutes) != 2
    ):
        raise ConfigError(f"{name} must be a time of day as HH:MM, got {value!r}")
    return f"{int(hours):02d}:{minutes}"


def _outside(env: Mapping[str, str], name: str, data_dir: Path) -> Path | None:
    """Return the path in ``name``, refusing one inside the data directory (or holding it)."""
    raw = env.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser().resolve()
    if path == data_dir or path.is_relative_to(data_dir) or data_dir.is_relative_to(path):
        raise ConfigError(
            f"{name} must be outside the data directory {data_dir} (whoever reads the data "
            f"must not be able to sign), got {raw!r}"
        )
    return path


def _pkcs11_token(env: Mapping[str, str]) -> str:
    token = env.get("MAMORI_PKCS11_TOKEN", "").strip()
    if env.get("MAMORI_PKCS11_MODULE", "").strip() and not token:
        raise ConfigError("MAMORI_PKCS11_TOKEN must name the token's label when a module is set")
    return token


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    if not path.is_absolute():
        raise ConfigError(f"{name} must be an absolute path, got {raw!r}")
    return path


def _witnesses(env: Mapping[str, str], name: str) -> tuple[tuple[str, str], ...]:
    """Read ``URL KEY[, URL KEY…]``: each witness's URL prefix and its verifier key."""
    found = []
    for item in _list(env, name, ()):
        parts = item.split()
        url = parts[0] if parts else ""
        scheme = urlsplit(url).scheme
        if len(parts) != 2 or scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ConfigError(
                f"{name} must list 'https://witness/prefix name+id+key' pairs separated by "
                f"commas, got {mask_url(url) or item[:40]!r}"
            )
        if parts[1].count("+") < 2:
            raise ConfigError(f"{name}: {mask_url(url)} needs the witness's verifier key")
        found.append((url.rstrip("/"), parts[1]))
    return tuple(found)


def mask_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***`` so it can be logged."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _proxies(env: Mapping[str, str]) -> tuple[str, ...]:
    """The addresses whose X-Forwarded-For is believed (``MAMORI_TRUSTED_PROXIES``): the TLS
    proxy's, so sign-in lock-outs count each client's address, not the proxy's."""
    import ipaddress

    proxies = _list(env, "MAMORI_TRUSTED_PROXIES", ("127.0.0.1",))
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"MAMORI_TRUSTED_PROXIES: {proxy!r} is not an IP address or network"
            ) from None
    return proxies


def load(env: Mapping[str, str] | None = None) -> Config:
    """Build the configuration from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("MAMORI_DATA_DIR", "") or ".mamori").expanduser().resolve()
    debug = _bool(env, "MAMORI_DEBUG", False)
    tls = _bool(env, "MAMORI_TLS", False)
    return Config(
        data_dir=data_dir,
        database_url=_database_url(env, data_dir),
        debug=debug,
        tls=tls,
        allowed_hosts=_list(env, "MAMORI_ALLOWED_HOSTS", ("127.0.0.1", "localhost", "[::1]")),
        csrf_trusted_origins=_list(env, "MAMORI_CSRF_TRUSTED_ORIGINS", ()),
        trusted_proxies=_proxies(env),
        session_idle_seconds=_int(env, "MAMORI_SESSION_IDLE_SECONDS", 900, 60, 86_400),
        login_slowdown_after=_int(env, "MAMORI_LOGIN_SLOWDOWN_AFTER", 3, 1, 100),
        login_lock_after=_int(env, "MAMORI_LOGIN_LOCK_AFTER", 10, 2, 1000),
        login_lock_seconds=_int(env, "MAMORI_LOGIN_LOCK_SECONDS", 1800, 60, 31_536_000),
        login_source_lock_after=_int(env, "MAMORI_LOGIN_SOURCE_LOCK_AFTER", 50, 2, 10_000),
        language=_choice(env, "MAMORI_LANGUAGE", "ja", ("ja", "en")),
        time_zone=env.get("MAMORI_TIME_ZONE", "Asia/Tokyo"),
        secret_key_file=Path(
            env.get("MAMORI_SECRET_KEY_FILE", "") or data_dir / "secret_key"
        ).expanduser(),
        log_level=_choice(env, "MAMORI_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
        smtp_url=_url(env, "MAMORI_SMTP_URL", ("smtp", "smtps")),
        mail_from=env.get("MAMORI_MAIL_FROM", "mamori@localhost").strip(),
        webhook_allowed_hosts=_list(env, "MAMORI_WEBHOOK_ALLOWED_HOSTS", ()),
        nats_url=_url(env, "MAMORI_NATS_URL", ("nats", "tls")),
        log_origin=env.get("MAMORI_LOG_ORIGIN", "").strip(),
        evidence_max_bytes=_int(
            env, "MAMORI_EVIDENCE_MAX_BYTES", 25 * 1024 * 1024, 1024, 1024 * 1024 * 1024
        ),
        reconcile_at=_clock(env, "MAMORI_RECONCILE_AT", "06:00"),
        book_max_age_hours=_int(env, "MAMORI_BOOK_MAX_AGE_HOURS", 26, 1, 24 * 31),
        signoff_days=_int(env, "MAMORI_RISK_SIGNOFF_DAYS", 365, 1, 3 * 366),
        signing_key_dir=_outside(env, "MAMORI_SIGNING_KEY_DIR", data_dir),
        pkcs11_module=env.get("MAMORI_PKCS11_MODULE", "").strip(),
        pkcs11_token=_pkcs11_token(env),
        pkcs11_pin=env.get("MAMORI_PKCS11_PIN", ""),
        pkcs11_pin_file=_outside(env, "MAMORI_PKCS11_PIN_FILE", data_dir),
        signer_state=_path(env, "MAMORI_SIGNER_STATE"),
        publish_dir=_path(env, "MAMORI_PUBLISH_DIR"),
        publish_s3_endpoint=_url(env, "MAMORI_PUBLISH_S3_ENDPOINT", ("https", "http")),
        publish_s3_bucket=env.get("MAMORI_PUBLISH_S3_BUCKET", "").strip(),
        publish_s3_prefix=env.get("MAMORI_PUBLISH_S3_PREFIX", "").strip().lstrip("/"),
        publish_s3_region=env.get("MAMORI_PUBLISH_S3_REGION", "").strip(),
        publish_s3_access_key=env.get("MAMORI_PUBLISH_S3_ACCESS_KEY_ID", "").strip(),
        publish_s3_secret_key=env.get("MAMORI_PUBLISH_S3_SECRET_ACCESS_KEY", "").strip(),
        publish_emails=_list(env, "MAMORI_PUBLISH_EMAILS", ()),
        publish_email_hours=_int(env, "MAMORI_PUBLISH_EMAIL_HOURS", 24, 0, 24 * 31),
        witnesses=_witnesses(env, "MAMORI_WITNESSES"),
        custody_deposit_delay_hours=_int(env, "MAMORI_CUSTODY_DEPOSIT_DELAY_HOURS", 24, 0, 24 * 7),
    )


def prepare_data_dir(config: Config) -> None:
    """Create the data directory (mode 0700), its static folder and the secret key.

    Only the commands that set an installation up call this (``migrate``, ``serve``, ``demo``,
    ``setup``): importing the settings writes nothing.
    """
    try:
        config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        (config.data_dir / "static").mkdir(exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the data directory {config.data_dir}: {exc}") from None
    read_or_create_secret(config.secret_key_file)


def read_secret(path: Path) -> str:
    """Return the secret stored at ``path`` ("" if there is none yet); never create it.

    A file readable by group or others is refused, as by :func:`read_or_create_secret`.
    """
    if not path.exists():
        return ""
    return _checked_secret(path)


def _checked_secret(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(f"{path} must be readable by its owner only (mode 0600), got {mode:04o}")
    value = path.read_text(encoding="ascii").strip()
    if len(value) < 32:
        raise ConfigError(f"{path} holds a secret shorter than 32 characters")
    return value


def read_or_create_secret(path: Path, nbytes: int = 50) -> str:
    """Return the secret stored at ``path``, creating it with mode 0600 on first use.

    An existing file readable by group or others is refused: a leaked secret key lets anyone
    forge sessions.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _checked_secret(path)
    except FileNotFoundError:
        raise ConfigError(f"cannot create {path}: its directory does not exist") from None
    value = secrets.token_urlsafe(nbytes)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    return value
