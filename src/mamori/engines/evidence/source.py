"""The bytes a parser reads, counted, limited and hashed as they pass (SRM 19, 20).

The deploy gate compares the artifact digest a change was approved for with the evidence
ingested for it, so the digest kept beside a summary must be of exactly the bytes that were
parsed: :class:`MeasuredReader` hashes every byte it hands to a parser and refuses to hand on
more than its limit. Parsers return :class:`Evidence`, the summary with that digest and size.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import BinaryIO, Generic, TypeVar

from mamori.engines.evidence.errors import EvidenceRefused

__all__ = ["DEFAULT_LIMIT", "Evidence", "MeasuredReader", "drain", "peeked"]

#: The largest file taken unless the caller says otherwise (512 MiB).
DEFAULT_LIMIT = 512 * 1024 * 1024

S = TypeVar("S")


class MeasuredReader:
    """A binary reader over ``stream`` that hashes and counts what it returns.

    ``head`` is bytes already taken from ``stream`` (by the format detector); they are returned
    first, and hashed like the rest. Reading past ``limit`` bytes raises
    :class:`EvidenceRefused` with code ``too_large``.
    """

    def __init__(self, stream: BinaryIO, limit: int = DEFAULT_LIMIT, head: bytes = b"") -> None:
        if limit <= 0:
            raise ValueError(f"expected a positive byte limit, got {limit}")
        self._stream = stream
        self._head = head
        self._hash = hashlib.sha256()
        self.limit = limit
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        """Return up to ``size`` bytes (all that is left when negative), hashed and counted."""
        if self._head:
            data = self._head if size < 0 else self._head[:size]
            self._head = self._head[len(data) :]
        else:
            want = self.limit + 1 - self.size if size < 0 else min(size, self.limit + 1 - self.size)
            data = self._stream.read(max(want, 0))
        if not isinstance(data, bytes):
            raise EvidenceRefused(
                "malformed", f"expected a binary stream, got {type(data).__name__}"
            )
        self.size += len(data)
        if self.size > self.limit:
            raise EvidenceRefused(
                "too_large", f"expected at most {self.limit} bytes, got more", f"byte {self.limit}"
            )
        self._hash.update(data)
        return data

    @property
    def sha256(self) -> str:
        """Return the hex SHA-256 of the bytes read so far."""
        return self._hash.hexdigest()


def peeked(stream: BinaryIO, limit: int, size: int = 4096) -> tuple[MeasuredReader, bytes]:
    """Return a reader over ``stream`` and its first ``size`` bytes (which it will replay)."""
    head = stream.read(size)
    if not isinstance(head, bytes):
        raise EvidenceRefused("malformed", f"expected a binary stream, got {type(head).__name__}")
    return MeasuredReader(stream, limit, head), head


def drain(reader: MeasuredReader) -> None:
    """Read what is left after a document's end; only whitespace may follow it."""
    while chunk := reader.read(1 << 16):
        if chunk.strip():
            raise EvidenceRefused(
                "malformed",
                "expected nothing after the document, got more data",
                f"byte {reader.size}",
            )


@dataclass(frozen=True)
class Evidence(Generic[S]):
    """A parsed file: its format, the SHA-256 and size of the bytes parsed, and its summary."""

    format: str
    sha256: str
    size: int
    summary: S
