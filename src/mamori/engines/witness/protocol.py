"""The ``add-checkpoint`` request of c2sp.org/tlog-witness: read and write it.

The body is ``old <size>``, up to 63 base64 consistency-proof hashes one a line, a blank line,
then the signed checkpoint. Every line ends in a newline.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass

from mamori.engines.merkle.hashing import HASH_SIZE

__all__ = [
    "MAX_PROOF_LINES",
    "AddCheckpoint",
    "BadRequest",
    "format_add_checkpoint",
    "parse_add_checkpoint",
    "parse_body",
]

MAX_PROOF_LINES = 63


class BadRequest(ValueError):
    """A request that does not follow the protocol (answered 400)."""


@dataclass(frozen=True)
class AddCheckpoint:
    """An ``add-checkpoint`` request: the size the client believes the witness holds, the
    consistency proof from it, and the signed checkpoint."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str


def _decimal(text: str, what: str) -> int:
    if not text.isdigit() or not text.isascii() or (text != "0" and text.startswith("0")):
        raise BadRequest(f"{what} must be a decimal number without leading zeros, got {text!r}")
    return int(text)


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Return the request in ``body``; raise :class:`BadRequest` saying what is wrong."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the request is not UTF-8") from None
    head, separator, note = text.partition("\n\n")
    if not separator:
        raise BadRequest("expected the old size and proof lines, a blank line, then a checkpoint")
    lines = head.split("\n")
    if not lines[0].startswith("old "):
        raise BadRequest(f"the first line must be 'old <size>', got {lines[0][:40]!r}")
    old_size = _decimal(lines[0][4:], "the old size")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise BadRequest(f"at most {MAX_PROOF_LINES} proof lines, got {len(lines) - 1}")
    proof = []
    for number, line in enumerate(lines[1:], 1):
        try:
            value = base64.b64decode(line, validate=True)
        except binascii.Error:
            raise BadRequest(f"proof line {number} is not base64") from None
        if len(value) != HASH_SIZE:
            raise BadRequest(f"proof line {number}: expected {HASH_SIZE} bytes, got {len(value)}")
        proof.append(value)
    if not note.endswith("\n"):
        raise BadRequest("the checkpoint must end with a newline")
    return AddCheckpoint(old_size, tuple(proof), note)


def parse_body(note: str) -> tuple[str, int, bytes]:
    """Return the origin, size and root a checkpoint's body states (signatures unchecked)."""
    body, separator, _ = note.partition("\n\n")
    lines = body.split("\n")
    if not separator or len(lines) < 3:
        raise BadRequest("the checkpoint needs origin, size and root lines, then signatures")
    size = _decimal(lines[1], "the tree size")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error:
        raise BadRequest("the root hash is not base64") from None
    if len(root) != HASH_SIZE:
        raise BadRequest(f"the root hash: expected {HASH_SIZE} bytes, got {len(root)}")
    return lines[0], size, root


def format_add_checkpoint(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    """Return the body of an ``add-checkpoint`` request."""
    if len(proof) > MAX_PROOF_LINES:
        raise ValueError(f"at most {MAX_PROOF_LINES} proof hashes, got {len(proof)}")
    lines = [f"old {old_size}", *(base64.b64encode(h).decode("ascii") for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode("utf-8")
