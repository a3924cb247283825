"""Ed25519 cosignatures on checkpoints (c2sp.org/tlog-cosignature, ``cosignature/v1``).

A cosignature is a note signature line ``— <name> base64(key id ‖ timestamp ‖ signature)``:
the key id is SHA-256(name ‖ "\\n" ‖ 0x04 ‖ public key)[:4], the timestamp a big-endian u64
of POSIX seconds, and the Ed25519 signature covers ``cosignature/v1\\ntime <t>\\n`` followed
by the checkpoint body. A cosigner states that, at that time, this was the largest tree it
had seen for the log and that it was consistent with everything it saw before.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from mamori.engines.merkle.checkpoint import DASH, CheckpointError

__all__ = [
    "COSIGNATURE_V1",
    "Cosignature",
    "CosignerKey",
    "cosigned_message",
    "cosigner_key_id",
    "note_body",
    "parse_cosigner",
    "signature_lines",
    "verify_cosignature",
]

COSIGNATURE_V1 = b"\x04"
_PRIVATE_PREFIX = "PRIVATE+KEY+"


def cosigner_key_id(name: str, public_key: bytes) -> bytes:
    """Return the 4-byte key id of an Ed25519 cosigner (c2sp.org/tlog-cosignature)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + COSIGNATURE_V1 + public_key).digest()[:4]


def cosigned_message(body: str, timestamp: int) -> bytes:
    """Return the bytes an Ed25519 cosignature signs: header, time line, checkpoint body."""
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def note_body(note: str) -> str:
    """Return the signed body of a note (up to and including the newline before the blank
    line); raise :class:`CheckpointError` if it is not a note."""
    body, separator, _ = note.partition("\n\n")
    if not separator:
        raise CheckpointError("not a signed note: no blank line before the signatures")
    return body + "\n"


def signature_lines(note: str) -> list[str]:
    """Return the signature lines of a note, each without its newline."""
    _, separator, signatures = note.partition("\n\n")
    if not separator:
        raise CheckpointError("not a signed note: no blank line before the signatures")
    return [line for line in signatures.splitlines() if line]


@dataclass(frozen=True)
class Cosignature:
    """A verified cosignature: who made it and when (POSIX seconds)."""

    name: str
    timestamp: int


class CosignerKey:
    """A witness's Ed25519 cosigning key and the name it is known by."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        if not name or any(c.isspace() for c in name) or "+" in name:
            raise ValueError(f"a key name has no spaces or '+', got {name!r}")
        self.name = name
        self._private = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = cosigner_key_id(name, self.public_key)

    @classmethod
    def generate(cls, name: str) -> CosignerKey:
        """Make a new key."""
        return cls(name, Ed25519PrivateKey.generate())

    def private_text(self) -> str:
        """Return the key as one line ``PRIVATE+KEY+name+hexid+base64(0x04‖seed)`` (the shape
        of a Go note signer key) to keep in a file readable by the witness only."""
        seed = self._private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        encoded = base64.b64encode(COSIGNATURE_V1 + seed).decode("ascii")
        return f"{_PRIVATE_PREFIX}{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def from_private_text(cls, text: str) -> CosignerKey:
        """Load a key written by :meth:`private_text`; raise ValueError if it is not one."""
        text = text.strip()
        if not text.startswith(_PRIVATE_PREFIX):
            raise ValueError(f"a cosigner key file starts with {_PRIVATE_PREFIX}")
        try:
            name, key_id_hex, encoded = text[len(_PRIVATE_PREFIX) :].split("+", 2)
            raw = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            raise ValueError("malformed cosigner key: expected name+hexid+base64") from None
        if raw[:1] != COSIGNATURE_V1 or len(raw) != 33:
            raise ValueError("not an Ed25519 cosigner key (type 0x04, 32 bytes)")
        key = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if key.key_id.hex() != key_id_hex:
            raise ValueError("the key id in the key file does not match its key")
        return key

    def verifier(self) -> str:
        """Return the verifier key ``name+hexid+base64(0x04‖pub)`` to give to log clients."""
        encoded = base64.b64encode(COSIGNATURE_V1 + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def cosign(self, body: str, timestamp: int) -> str:
        """Return the cosignature line (with its newline) of a checkpoint ``body``."""
        if not 0 < timestamp < 2**63:
            raise ValueError(f"a cosignature's time is a positive u64 below 2^63, got {timestamp}")
        signature = self._private.sign(cosigned_message(body, timestamp))
        blob = self.key_id + struct.pack(">Q", timestamp) + signature
        return f"{DASH}{self.name} {base64.b64encode(blob).decode('ascii')}\n"


def parse_cosigner(verifier: str) -> tuple[str, bytes, Ed25519PublicKey]:
    """Return the name, key id and public key of a cosigner verifier key."""
    try:
        name, key_id_hex, encoded = verifier.strip().split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
        key_id = bytes.fromhex(key_id_hex)
    except (ValueError, binascii.Error):
        raise CheckpointError("malformed cosigner key: expected name+hexid+base64") from None
    if raw[:1] != COSIGNATURE_V1 or len(raw) != 33:
        raise CheckpointError(f"{name}: not an Ed25519 cosigner key (type 0x04)")
    if cosigner_key_id(name, raw[1:]) != key_id:
        raise CheckpointError(f"{name}: the key id does not match its key")
    return name, key_id, Ed25519PublicKey.from_public_bytes(raw[1:])


def verify_cosignature(note: str, verifier: str) -> Cosignature:
    """Return the cosignature by ``verifier`` on ``note``; raise :class:`CheckpointError` if
    there is none or it does not verify (lines by other keys are ignored)."""
    name, key_id, public_key = parse_cosigner(verifier)
    body = note_body(note)
    for line in signature_lines(note):
        if not line.startswith(DASH):
            raise CheckpointError(f"malformed signature line {line!r}")
        signer, _, blob_text = line[len(DASH) :].rpartition(" ")
        try:
            blob = base64.b64decode(blob_text, validate=True)
        except binascii.Error:
            raise CheckpointError("signature is not base64") from None
        if signer != name or blob[:4] != key_id:
            continue
        if len(blob) != 4 + 8 + 64:
            raise CheckpointError(f"cosignature by {name}: expected 76 bytes, got {len(blob)}")
        (timestamp,) = struct.unpack(">Q", blob[4:12])
        try:
            public_key.verify(blob[12:], cosigned_message(body, timestamp))
        except InvalidSignature:
            raise CheckpointError(f"the cosignature by {name} does not verify") from None
        return Cosignature(name, timestamp)
    raise CheckpointError(f"no cosignature by witness {name} ({key_id.hex()})")
