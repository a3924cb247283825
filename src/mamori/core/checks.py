"""Deploy checks: ``mamori check --deploy`` fails on unsafe production settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Info, Tags, Warning, register

__all__ = ["deploy_settings", "engines_compiled"]


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
