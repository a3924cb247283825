"""Proof verification, following RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency)."""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from mamori.engines.merkle.hashing import HASH_SIZE, node_hash

__all__ = ["ProofError", "root_from_inclusion", "verify_consistency", "verify_inclusion"]


class ProofError(ValueError):
    """A proof does not verify; the message says what was expected and what was found."""


def _check_hashes(proof: Sequence[bytes]) -> None:
    for position, item in enumerate(proof):
        if len(item) != HASH_SIZE:
            raise ProofError(f"proof[{position}]: expected {HASH_SIZE} bytes, got {len(item)}")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """Return the root an inclusion proof implies (RFC 9162 §2.1.3.2 steps 1–5)."""
    if index >= size:
        raise ProofError(f"index {index} is beyond the tree size {size}")
    if len(leaf) != HASH_SIZE:
        raise ProofError(f"leaf hash: expected {HASH_SIZE} bytes, got {len(leaf)}")
    _check_hashes(proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError(f"proof is too long: {len(proof)} hashes for index {index} of {size}")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"proof is too short: {len(proof)} hashes for index {index} of {size}")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`ProofError` unless ``leaf`` is at ``index`` in the tree with ``root``."""
    if len(root) != HASH_SIZE:
        raise ProofError(f"root: expected {HASH_SIZE} bytes, got {len(root)}")
    got = root_from_inclusion(index, size, leaf, proof)
    if not hmac.compare_digest(got, root):
        raise ProofError(f"root mismatch: expected {root.hex()}, got {got.hex()}")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise :class:`ProofError` unless the tree ``old_root`` is a prefix of ``new_root``."""
    if new_size < old_size:
        raise ProofError(f"size went backwards: {old_size} then {new_size}")
    if old_size == 0:
        raise ProofError(
            "a consistency proof from the empty tree proves nothing: expected size ≥ 1"
        )
    if old_size == new_size:
        if proof:
            raise ProofError(f"expected an empty proof for equal sizes, got {len(proof)} hashes")
        if not hmac.compare_digest(old_root, new_root):
            raise ProofError(
                f"equal sizes but different roots: {old_root.hex()} vs {new_root.hex()}"
            )
        return
    if not proof:
        raise ProofError("expected a non-empty consistency proof, got none")
    _check_hashes(proof)
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"proof is too long: {len(proof)} hashes")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"proof is too short: {len(proof)} hashes")
    if not hmac.compare_digest(fr, old_root):
        raise ProofError(f"old root mismatch: expected {old_root.hex()}, got {fr.hex()}")
    if not hmac.compare_digest(sr, new_root):
        raise ProofError(f"new root mismatch: expected {new_root.hex()}, got {sr.hex()}")
