"""Deploy checks: ``mamori check --deploy`` fails on unsafe production settings."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Info, Tags, Warning, register
from django.http.request import validate_host

from mamori.core.addresses import not_global

__all__ = [
    "LOGIN_LOCK_AFTER_MAX",
    "SESSION_IDLE_SECONDS_MAX",
    "deploy_settings",
    "engines_compiled",
]

#: the most failures before a lock-out that a deployment may allow
LOGIN_LOCK_AFTER_MAX = 10
#: the longest idle time of a session that a deployment may allow (8 hours)
SESSION_IDLE_SECONDS_MAX = 8 * 3600
#: names of cloud metadata services and of this machine, never a webhook target
_FORBIDDEN_NAMES = {
    "localhost",
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
}


def _forbidden_webhook_host(host: str) -> str | None:
    """Return why ``host`` must not be allowed as a webhook target, or None."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name in _FORBIDDEN_NAMES or name.endswith(".localhost"):
        return "a name of this machine or of a cloud metadata service"
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return None
    kind = not_global(address)
    return None if kind is None else f"a {kind} address"


def _foreign_origin(origin: str, allowed_hosts: tuple[str, ...]) -> str | None:
    """Return why ``origin`` must not be trusted for CSRF, or None."""
    parts = urlsplit(origin)
    if parts.scheme != "https":
        return "it is not https"
    if not parts.hostname or not validate_host(parts.hostname, list(allowed_hosts)):
        return "its host is not one of MAMORI_ALLOWED_HOSTS"
    return None


@register(Tags.security, deploy=True)
def deploy_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Report settings that must not reach production, each naming its variable."""
    config = settings.CONFIG
    errors = []
    if config.debug:
        errors.append(
            Error(
                "MAMORI_DEBUG is on: error pages would show settings and code to anyone.",
                hint="Unset MAMORI_DEBUG or set it to 0.",
                id="mamori.E001",
            )
        )
    if not config.tls:
        errors.append(
            Error(
                "MAMORI_TLS is off: cookies are sent without the Secure flag and no HSTS.",
                hint="Serve over HTTPS (directly or behind a proxy) and set MAMORI_TLS=1.",
                id="mamori.E002",
            )
        )
    if "*" in config.allowed_hosts or not config.allowed_hosts:
        errors.append(
            Error(
                "MAMORI_ALLOWED_HOSTS is empty or contains '*'.",
                hint="List the host names mamori is served under.",
                id="mamori.E003",
            )
        )
    local = {"127.0.0.1", "localhost", "[::1]"}
    if config.tls and set(config.allowed_hosts) <= local:
        errors.append(
            Error(
                "MAMORI_ALLOWED_HOSTS lists only loopback names while TLS is on.",
                hint="Add the public host name mamori is served under.",
                id="mamori.E004",
            )
        )
    return errors + _limits(config) + _trust_roots(config)


def _trust_roots(config: Any) -> list[Error]:
    """Report an audit log whose trust rests on the database alone: no signer memory outside
    the data directory, or no place outside mamori that receives its checkpoints."""
    errors = []
    state = config.signer_state
    if state is None or state.resolve().is_relative_to(config.data_dir):
        errors.append(
            Error(
                "MAMORI_SIGNER_STATE is not set or lies in the data directory: whoever can "
                "rewrite the database could make the audit log's signer sign a forged log.",
                hint="Set MAMORI_SIGNER_STATE to a file next to the signing key, outside "
                "MAMORI_DATA_DIR, e.g. /var/lib/mamori-signer/state.json.",
                id="mamori.E010",
            )
        )
    if not (
        config.witnesses or config.publish_dir or config.publish_s3_bucket or config.publish_emails
    ):
        errors.append(
            Error(
                "No checkpoint of the audit log leaves mamori: a consistent rewrite that also "
                "deletes the later checkpoints would verify clean.",
                hint="Set MAMORI_WITNESSES, MAMORI_PUBLISH_DIR, MAMORI_PUBLISH_S3_BUCKET or "
                "MAMORI_PUBLISH_EMAILS.",
                id="mamori.E011",
            )
        )
    return errors


def _limits(config: Any) -> list[Error]:
    """Report webhook, origin, lock-out, session and database settings too loose for
    production."""
    errors = []
    for host in config.webhook_allowed_hosts:
        why = _forbidden_webhook_host(host)
        if why:
            errors.append(
                Error(
                    f"MAMORI_WEBHOOK_ALLOWED_HOSTS names {host}, {why}: webhooks could read "
                    "cloud credentials or reach services that trust this machine.",
                    hint="Remove it from MAMORI_WEBHOOK_ALLOWED_HOSTS; list internal receivers "
                    "by their host name.",
                    id="mamori.E005",
                )
            )
    for origin in config.csrf_trusted_origins:
        why = _foreign_origin(origin, config.allowed_hosts)
        if why:
            errors.append(
                Error(
                    f"MAMORI_CSRF_TRUSTED_ORIGINS lists {origin}, but {why}: forms posted from "
                    "it would be trusted.",
                    hint="List only https://<host> origins of hosts in MAMORI_ALLOWED_HOSTS.",
                    id="mamori.E006",
                )
            )
    if config.login_lock_after > LOGIN_LOCK_AFTER_MAX:
        errors.append(
            Error(
                f"MAMORI_LOGIN_LOCK_AFTER is {config.login_lock_after}: that many guesses of a "
                f"password are allowed before a lock-out (at most {LOGIN_LOCK_AFTER_MAX}).",
                hint=f"Set MAMORI_LOGIN_LOCK_AFTER to {LOGIN_LOCK_AFTER_MAX} or less.",
                id="mamori.E007",
            )
        )
    if config.session_idle_seconds > SESSION_IDLE_SECONDS_MAX:
        errors.append(
            Error(
                f"MAMORI_SESSION_IDLE_SECONDS is {config.session_idle_seconds}: a session left "
                f"open stays usable longer than {SESSION_IDLE_SECONDS_MAX // 3600} hours.",
                hint=f"Set MAMORI_SESSION_IDLE_SECONDS to {SESSION_IDLE_SECONDS_MAX} or less.",
                id="mamori.E008",
            )
        )
    if not config.pkcs11_module and config.signing_key_dir is None:
        errors.append(
            Error(
                "No place for signing keys is configured: the audit log's checkpoints and the "
                "reconciliation statements cannot be signed.",
                hint="Set MAMORI_PKCS11_MODULE, MAMORI_PKCS11_TOKEN and MAMORI_PKCS11_PIN_FILE "
                "(an HSM), or MAMORI_SIGNING_KEY_DIR (a directory outside the data directory), "
                "then run `mamori keys init log` and `mamori keys init statement`.",
                id="mamori.E012",
            )
        )
    if config.uses_sqlite:
        errors.append(
            Error(
                "The database is SQLite: one file on one machine, one writer at a time, no "
                "standby; production runs on PostgreSQL.",
                hint="Set MAMORI_DATABASE_URL=postgres://user@host:5432/mamori.",
                id="mamori.E009",
            )
        )
    return errors


@register()
def engines_compiled(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Say which engines run as plain Python although the build compiled them (slower: the
    source changed since, or MAMORI_PURE_PYTHON=1), and which were not compiled at all."""
    from mamori.engines import native

    status = native.status()
    messages: list[CheckMessage] = []
    if not status:
        messages.append(
            Info(
                "The engines run as plain Python: the build found no C compiler (or OpenSSL "
                "headers) to compile them. Results are the same; the custody monitor and the "
                "audit log's verification are slower.",
                hint="Install a C compiler and OpenSSL's headers, then run `uv sync --reinstall`.",
                id="mamori.I001",
            )
        )
    for module, state in sorted(status.items()):
        if state == "compiled":
            continue
        if "MAMORI_PURE_PYTHON" in state:
            messages.append(Info(f"{module} runs from its source: {state}.", id="mamori.I002"))
        else:
            messages.append(
                Warning(
                    f"{module} runs from its source: {state}.",
                    hint="Rebuild with `uv sync` (any `uv run` does).",
                    id="mamori.W001",
                )
            )
    return messages
