"""Hash many leaves or nodes in one call (RFC 6962 §2.1).

With the compiled extension :mod:`mamori.engines.merkle._hashes` (OpenSSL's SHA-256, run
with the GIL released) where the build made it; with :mod:`hashlib`, one call per hash,
otherwise. Both give the same bytes; hashes travel as one byte string of 32-byte digests.
"""

from __future__ import annotations

import hashlib
from types import ModuleType

__all__ = ["NATIVE", "leaf_hashes", "parents", "perfect_root"]

_native: ModuleType | None
try:
    from mamori.engines.merkle import _hashes as _native
except ImportError:  # not built, or refused as stale (mamori.engines.native)
    _native = None

#: Whether the compiled extension does the hashing.
NATIVE = _native is not None
_sha256 = hashlib.sha256
_SIZE = 32


def _py_leaf_hashes(bodies: bytes) -> bytes:
    return b"".join([_sha256(b"\x00" + body).digest() for body in bodies.split(b"\n")])


def _py_parents(hashes: bytes) -> bytes:
    if len(hashes) % (2 * _SIZE):
        raise ValueError(f"{len(hashes)} bytes is not a whole number of pairs of 32-byte hashes")
    return b"".join(
        [_sha256(b"\x01" + hashes[i : i + 2 * _SIZE]).digest() for i in range(0, len(hashes), 64)]
    )


def _py_perfect_root(hashes: bytes) -> bytes:
    count, rest = divmod(len(hashes), _SIZE)
    if rest:
        raise ValueError(f"{len(hashes)} bytes is not a whole number of 32-byte hashes")
    if not count or count & (count - 1):
        raise ValueError(f"a perfect subtree needs a power-of-two count, got {count}")
    while len(hashes) > _SIZE:
        hashes = _py_parents(hashes)
    return hashes


def leaf_hashes(bodies: bytes) -> bytes:
    """Return SHA-256(0x00 || d) of every newline-separated body ``d`` of ``bodies`` (a
    stored run: canonical JSON never holds a raw newline)."""
    if _native is not None:
        return bytes(_native.leaf_hashes(bodies))
    return _py_leaf_hashes(bodies)


def parents(hashes: bytes) -> bytes:
    """Return SHA-256(0x01 || left || right) of every pair of 32-byte ``hashes``."""
    if _native is not None:
        return bytes(_native.parents(hashes))
    return _py_parents(hashes)


def perfect_root(hashes: bytes) -> bytes:
    """Return the root over a power-of-two number of 32-byte ``hashes`` (level by level:
    for a perfect subtree this is the RFC's recursion, in fewer calls)."""
    if _native is not None:
        return bytes(_native.perfect_root(hashes))
    return _py_perfect_root(hashes)
