"""Encrypt secrets kept at rest (TOTP seeds and the like) with a key held apart from the data.

The key lives in ``<data dir>/field_key`` (mode 0600), created on first use; a database copy
alone does not reveal the secrets in it. Values are Fernet tokens (AES-128-CBC + HMAC-SHA256).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from mamori.config import read_or_create_secret

__all__ = ["SecretUnreadable", "decrypt", "encrypt", "keyed_digest"]


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with the current key."""


@functools.cache
def _key_material() -> bytes:
    path = settings.CONFIG.data_dir / "field_key"
    return read_or_create_secret(path).encode("ascii")


@functools.cache  # the same key for the same purpose: derived once per process
def _derive(purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        _key_material()
    )


@functools.cache
def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(b"mamori field encryption v1")))


def encrypt(plaintext: str) -> str:
    """Return ``plaintext`` encrypted for storage."""
    return _fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """Return the plaintext of a value produced by :func:`encrypt`."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise SecretUnreadable("stored secret cannot be decrypted with this field key") from None


def keyed_digest(value: str, purpose: str) -> str:
    """Return a hex HMAC-SHA256 of ``value`` for storing high-entropy secrets (tokens, codes)."""
    key = _derive(b"mamori digest " + purpose.encode("ascii"))
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
