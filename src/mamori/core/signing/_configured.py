"""The key store the configuration names (never the database: it holds public keys only)."""

from __future__ import annotations

import stat
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from mamori.config import Config
from mamori.core.signing._base import KeyStore, StoreRefused
from mamori.core.signing._keyfile import KeyFileStore
from mamori.core.signing._pkcs11 import Pkcs11Store

__all__ = ["configured_pin", "configured_store"]


def configured_pin(config: Config) -> str:
    """Return the PKCS#11 PIN the configuration gives, from its file (owner-only) or value."""
    path: Path | None = config.pkcs11_pin_file
    if path is None:
        return config.pkcs11_pin
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise StoreRefused(
                "pin_file_permissions",
                _("%(path)s must be readable by its owner only (mode 0600), got %(mode)s.")
                % {"path": path, "mode": f"{mode:04o}"},
            )
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise StoreRefused(
            "pin_file_unreadable",
            _("Cannot read the PKCS#11 PIN file %(path)s: %(error)s")
            % {"path": path, "error": exc.strerror},
        ) from None


def configured_store(config: Config | None = None) -> KeyStore:
    """Return the store of the configuration: the PKCS#11 token if ``MAMORI_PKCS11_MODULE`` is
    set, else the key directory ``MAMORI_SIGNING_KEY_DIR``; refuse (saying what to set) if
    neither is."""
    config = config or settings.CONFIG
    if config.pkcs11_module:
        return Pkcs11Store(config.pkcs11_module, config.pkcs11_token, configured_pin(config))
    if config.signing_key_dir is not None:
        return KeyFileStore(config.signing_key_dir, config.data_dir)
    raise StoreRefused(
        "not_configured",
        _(
            "No place for signing keys is configured: set MAMORI_PKCS11_MODULE, "
            "MAMORI_PKCS11_TOKEN and MAMORI_PKCS11_PIN (an HSM), or MAMORI_SIGNING_KEY_DIR (a "
            "directory outside the data directory). Nothing is signed until one is."
        ),
    )
