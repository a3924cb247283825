"""Checkpoints as C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint), Ed25519.

A checkpoint body is three lines — origin, tree size, base64 root hash — and the note adds a
blank line and signature lines ``— <key name> <base64(key id ‖ signature)>``. The 4-byte key id
is the first four bytes of SHA-256(key name ‖ "\\n" ‖ 0x01 ‖ public key), 0x01 naming Ed25519.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "LogKey",
    "RawSigner",
    "note_verifier",
    "parse_checkpoint",
    "parse_checkpoint_by_any",
    "verifier_key_id",
    "verify_bytes",
]

ED25519 = b"\x01"
DASH = "\u2014 "


class CheckpointError(ValueError):
    """A checkpoint that is malformed or whose signature does not verify."""


def verifier_key_id(name: str, public_key: bytes) -> bytes:
    """Return the 4-byte key id of an Ed25519 note key (c2sp.org/signed-note)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519 + public_key).digest()[:4]


def note_verifier(name: str, public_key: bytes) -> str:
    """Return the verifier key string ``name+hexid+base64(0x01‖pub)`` of a raw Ed25519 public
    key (what auditors keep; needs no private key)."""
    encoded = base64.b64encode(ED25519 + public_key).decode("ascii")
    return f"{name}+{verifier_key_id(name, public_key).hex()}+{encoded}"


class RawSigner(Protocol):
    """Whatever makes Ed25519 signatures for a key it does not hand out: an HSM session, a
    key file outside the data directory. ``public_key`` is the raw 32-byte public key."""

    @property
    def public_key(self) -> bytes:
        """Return the raw Ed25519 public key."""
        ...

    def sign(self, data: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``data``."""
        ...


class _InMemory:
    """A private key held in this process (tests, and the key-file backend once read)."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self.private_key = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head: ``origin`` names the log, ``size`` and ``root`` the tree."""

    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        """Return the note text that is signed."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode('ascii')}\n"


class LogKey:
    """The log's Ed25519 signing key and the name verifiers know it by: a private key in this
    process, or a :class:`RawSigner` that keeps it elsewhere (an HSM)."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey | RawSigner) -> None:
        if not name or any(c.isspace() for c in name) or "+" in name:
            raise ValueError(f"a key name has no spaces or '+', got {name!r}")
        self.name = name
        signer = (
            _InMemory(private_key) if isinstance(private_key, Ed25519PrivateKey) else private_key
        )
        self._signer: RawSigner = signer
        self.public_key = signer.public_key
        if len(self.public_key) != 32:
            raise ValueError(f"an Ed25519 public key has 32 bytes, got {len(self.public_key)}")
        self.key_id = verifier_key_id(name, self.public_key)

    @classmethod
    def generate(cls, name: str) -> LogKey:
        """Make a new key."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, name: str, raw: bytes) -> LogKey:
        """Load a key from its 32 raw private bytes."""
        return cls(name, Ed25519PrivateKey.from_private_bytes(raw))

    def private_bytes(self) -> bytes:
        """Return the raw private key of a key held in this process (an HSM's never leaves)."""
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        if not isinstance(self._signer, _InMemory):
            raise ValueError("the private key is not held in this process")
        return self._signer.private_key.private_bytes(
            Encoding.Raw, PrivateFormat.Raw, NoEncryption()
        )

    def verifier(self) -> str:
        """Return the verifier key string ``name+hexid+base64(0x01‖pub)`` to give to others."""
        return note_verifier(self.name, self.public_key)

    def sign_bytes(self, data: bytes) -> bytes:
        """Return the Ed25519 signature of ``data`` (for documents other than checkpoints)."""
        return self._signer.sign(data)

    def sign(self, checkpoint: Checkpoint) -> str:
        """Return the signed note of ``checkpoint``."""
        body = checkpoint.body()
        signature = self._signer.sign(body.encode("utf-8"))
        blob = base64.b64encode(self.key_id + signature).decode("ascii")
        return f"{body}\n{DASH}{self.name} {blob}\n"


def _parse_verifier(verifier: str) -> tuple[str, bytes, Ed25519PublicKey]:
    try:
        name, key_id_hex, encoded = verifier.strip().split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
        key_id = bytes.fromhex(key_id_hex)
    except (ValueError, binascii.Error):
        raise CheckpointError("malformed verifier key: expected name+hexid+base64") from None
    if raw[:1] != ED25519 or len(raw) != 33:
        raise CheckpointError("verifier key is not an Ed25519 note key")
    if verifier_key_id(name, raw[1:]) != key_id:
        raise CheckpointError("verifier key id does not match its key")
    return name, key_id, Ed25519PublicKey.from_public_bytes(raw[1:])


def verify_bytes(verifier: str, key_id: bytes, data: bytes, signature: bytes) -> None:
    """Check that ``signature`` over ``data`` was made by the key of ``verifier``; raise
    :class:`CheckpointError` saying what does not match."""
    name, expected_id, public_key = _parse_verifier(verifier)
    if key_id != expected_id:
        raise CheckpointError(
            f"signed by key id {key_id.hex()}, expected {expected_id.hex()} ({name}): a foreign key"
        )
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        raise CheckpointError(f"the signature by {name} does not verify") from None


def parse_checkpoint(note: str, verifier: str) -> Checkpoint:
    """Verify ``note``'s signature by ``verifier`` and return the checkpoint it carries."""
    name, key_id, public_key = _parse_verifier(verifier)
    body, separator, signatures = note.partition("\n\n")
    if not separator:
        raise CheckpointError("not a signed note: no blank line before the signatures")
    body += "\n"
    lines = body.splitlines()
    if len(lines) < 3:
        raise CheckpointError(f"expected origin, size and root lines, got {len(lines)} lines")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise CheckpointError(f"tree size must be a decimal number, got {size_text!r}")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        raise CheckpointError("root hash is not base64") from None
    found_key = False
    for line in signatures.splitlines():
        if not line.startswith(DASH):
            raise CheckpointError(f"malformed signature line {line!r}")
        signer, _, blob_text = line[len(DASH) :].rpartition(" ")
        try:
            blob = base64.b64decode(blob_text, validate=True)
        except binascii.Error:
            raise CheckpointError("signature is not base64") from None
        if signer != name or blob[:4] != key_id:
            continue
        found_key = True
        try:
            public_key.verify(blob[4:], body.encode("utf-8"))
        except InvalidSignature:
            raise CheckpointError(f"signature by {name} does not verify") from None
        return Checkpoint(origin, int(size_text), root)
    raise CheckpointError(
        f"no signature by key {name} ({key_id.hex()})"
        + ("" if found_key else "; signed by another key")
    )


def parse_checkpoint_by_any(note: str, verifiers: Sequence[str]) -> Checkpoint:
    """Return the checkpoint of ``note`` signed by one of ``verifiers`` (a log's keys across
    rotations); raise the error of a key that signed it badly, else of the first key."""
    errors: list[CheckpointError] = []
    for verifier in verifiers:
        try:
            return parse_checkpoint(note, verifier)
        except CheckpointError as exc:
            errors.append(exc)
    if not errors:
        raise CheckpointError("no verifier key was given")
    bad = [e for e in errors if not str(e).startswith("no signature by key")]
    raise (bad or errors)[0]
