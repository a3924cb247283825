"""What every key store offers, and the errors signing stops with."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from pathlib import Path

from mamori.engines.merkle import RawSigner

__all__ = ["PURPOSES", "KeyMissing", "KeyStore", "SigningError", "StoreRefused", "key_ref"]

#: What a key signs: the audit log's checkpoints, the reconciliation statements.
PURPOSES = ("log", "statement")


class SigningError(Exception):
    """Signing cannot happen: a stable ``code`` and a translated ``message``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class KeyMissing(SigningError):
    """The private key for the current public key is not where the configuration says."""


class StoreRefused(SigningError):
    """The configured key location is unsafe or unusable (permissions, inside the data
    directory, not configured at all)."""


def key_ref(public_key: bytes) -> str:
    """Return the short reference a store files a key under: 16 hex digits of
    SHA-256(public key)."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def inside(path: Path, directory: Path) -> bool:
    """Return whether ``path`` is ``directory`` or lies under it (symbolic links resolved)."""
    resolved, base = path.expanduser().resolve(), directory.expanduser().resolve()
    return resolved == base or resolved.is_relative_to(base)


class KeyStore(ABC):
    """Where private keys live. A store makes a key (and hands back only its public half) and
    signs with the key whose public half it is given; a private key never leaves the store
    through this interface."""

    #: ``pkcs11`` or ``file``
    kind: str = ""

    @abstractmethod
    def location(self) -> str:
        """Return where keys are, for messages (a directory, a token and module)."""

    @abstractmethod
    def create(self, purpose: str) -> bytes:
        """Make a new Ed25519 key for ``purpose``; return its raw 32-byte public key."""

    @abstractmethod
    def signer(self, purpose: str, public_key: bytes) -> RawSigner:
        """Return what signs with the private key of ``public_key``; raise :class:`KeyMissing`
        (naming the location) if the store does not hold it."""
