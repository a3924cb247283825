"""Key files outside the data directory: one PEM (PKCS#8, Ed25519) per key, mode 0600, in a
directory only its owner may write to. A directory inside the data directory, a file another
user may read, or a file owned by someone else is refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from django.utils.translation import gettext as _

from mamori.core.signing._base import KeyMissing, KeyStore, StoreRefused, inside, key_ref
from mamori.engines.merkle import RawSigner

__all__ = ["KeyFileStore"]


class _FileSigner:
    """Signs with a key read from its file for each signature (nothing kept in memory)."""

    def __init__(self, store: KeyFileStore, path: Path, public_key: bytes) -> None:
        self.store = store
        self.path = path
        self.public_key = public_key

    def sign(self, data: bytes) -> bytes:
        return self.store.load(self.path, self.public_key).sign(data)


class KeyFileStore(KeyStore):
    """Keys as files in ``directory``, which must not be inside ``data_dir``."""

    kind = "file"

    def __init__(self, directory: Path, data_dir: Path) -> None:
        self.directory = directory.expanduser()
        if inside(self.directory, data_dir) or inside(data_dir, self.directory):
            raise StoreRefused(
                "key_dir_in_data_dir",
                _(
                    "The signing key directory %(path)s overlaps the data directory %(data)s: "
                    "anyone who can read the data could sign. Keep keys elsewhere "
                    "(MAMORI_SIGNING_KEY_DIR)."
                )
                % {"path": self.directory, "data": data_dir},
            )

    def location(self) -> str:
        """Return the directory."""
        return str(self.directory)

    def path_for(self, purpose: str, public_key: bytes) -> Path:
        """Return the file of the key of ``purpose`` with ``public_key``."""
        return self.directory / f"{purpose}-{key_ref(public_key)}.pem"

    def _check_directory(self) -> None:
        try:
            info = self.directory.stat()
        except FileNotFoundError:
            raise KeyMissing(
                "key_dir_missing",
                _("The signing key directory %(path)s does not exist (MAMORI_SIGNING_KEY_DIR).")
                % {"path": self.directory},
            ) from None
        if not stat.S_ISDIR(info.st_mode):
            raise StoreRefused(
                "key_dir_not_directory",
                _("%(path)s is not a directory (MAMORI_SIGNING_KEY_DIR).")
                % {"path": self.directory},
            )
        if stat.S_IMODE(info.st_mode) & 0o022 or info.st_uid != os.geteuid():
            raise StoreRefused(
                "key_dir_permissions",
                _(
                    "The signing key directory %(path)s must be owned by this user and writable "
                    "by nobody else (mode 0700), got %(mode)s."
                )
                % {"path": self.directory, "mode": f"{stat.S_IMODE(info.st_mode):04o}"},
            )

    def _check_file(self, path: Path) -> None:
        info = path.stat()
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077 or info.st_uid != os.geteuid() or not stat.S_ISREG(info.st_mode):
            raise StoreRefused(
                "key_file_permissions",
                _(
                    "The signing key file %(path)s must be a file owned by this user and "
                    "readable by nobody else (mode 0600), got %(mode)s: refused."
                )
                % {"path": path, "mode": f"{mode:04o}"},
            )

    def load(self, path: Path, public_key: bytes) -> Ed25519PrivateKey:
        """Read and check the key at ``path``; it must be the private half of ``public_key``."""
        self._check_directory()
        try:
            self._check_file(path)
            key = load_pem_private_key(path.read_bytes(), password=None)
        except FileNotFoundError:
            raise KeyMissing(
                "key_missing",
                _(
                    "The signing key %(path)s is missing. Nothing is signed until it is back; "
                    "no new key is made (mamori keys init / keys prepare make one on purpose)."
                )
                % {"path": path},
            ) from None
        except ValueError:
            raise StoreRefused(
                "key_file_unreadable",
                _("%(path)s is not an Ed25519 private key in PEM.") % {"path": path},
            ) from None
        if not isinstance(key, Ed25519PrivateKey) or (
            key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) != public_key
        ):
            raise StoreRefused(
                "key_file_mismatch",
                _("%(path)s does not hold the private half of the current public key.")
                % {"path": path},
            )
        return key

    def create(self, purpose: str) -> bytes:
        """Write a new key file (mode 0600, never overwriting); return its public key."""
        if not self.directory.exists():
            self.directory.mkdir(mode=0o700, parents=True)
        self._check_directory()
        key = Ed25519PrivateKey.generate()
        public_key = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        path = self.path_for(purpose, public_key)
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        return public_key

    def signer(self, purpose: str, public_key: bytes) -> RawSigner:
        """Return a signer for ``public_key``, after checking its file is there and safe."""
        path = self.path_for(purpose, public_key)
        self.load(path, public_key)
        return _FileSigner(self, path, public_key)
