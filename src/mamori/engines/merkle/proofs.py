"""Tree heads and proof generation from stored perfect-subtree nodes (RFC 6962 §2.1.1–2.1.2).

Every node of a complete subtree is stored once as (level, index). Any subtree of the tree of
size n is either perfect (one read) or the right edge, built from O(log n) perfect nodes, so
proofs cost O(log² n) hash work at most and O(log n) in the common case.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from mamori.engines.merkle.hashing import EMPTY_ROOT, leaf_hash, node_hash

__all__ = [
    "NodeReader",
    "consistency_proof",
    "consistency_reads",
    "inclusion_proof",
    "inclusion_reads",
    "root_at",
    "root_from_leaves",
]


class NodeReader(Protocol):
    """Read the hash of the perfect subtree (level, index)."""

    def node(self, level: int, index: int) -> bytes:
        """Return the stored hash, or raise KeyError."""


def _largest_power_of_two_below(n: int) -> int:
    """Return k, the largest power of two smaller than n (n > 1) (RFC 6962 §2.1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree(reader: NodeReader, start: int, end: int) -> bytes:
    """Return MTH(D[start:end]) for a range aligned as in the RFC's recursion."""
    width = end - start
    if width & (width - 1) == 0 and start % width == 0:
        return reader.node(width.bit_length() - 1, start // width)
    k = _largest_power_of_two_below(width)
    return node_hash(_subtree(reader, start, start + k), _subtree(reader, start + k, end))


def root_at(reader: NodeReader, size: int) -> bytes:
    """Return the tree head of the first ``size`` leaves (RFC 6962 §2.1 MTH)."""
    if size == 0:
        return EMPTY_ROOT
    return _subtree(reader, 0, size)


def inclusion_proof(reader: NodeReader, index: int, size: int) -> list[bytes]:
    """Return PATH(index, D[0:size]) (RFC 6962 §2.1.1), leaf-side first."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if index < start + k:
            path.append(_subtree(reader, start + k, end))
            end = start + k
        else:
            path.append(_subtree(reader, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(reader: NodeReader, old: int, new: int) -> list[bytes]:
    """Return PROOF(old, D[0:new]) (RFC 6962 §2.1.2 SUBPROOF with b = true)."""
    if not 0 <= old <= new:
        raise ValueError(f"cannot prove size {old} is a prefix of size {new}")
    if old == 0 or old == new:
        return []
    proof: list[bytes] = []
    start, end, complete = 0, new, True
    m = old
    while True:
        width = end - start
        if m == width:
            if not complete:
                proof.append(_subtree(reader, start, end))
            break
        k = _largest_power_of_two_below(width)
        if m <= k:
            proof.append(_subtree(reader, start + k, end))
            end = start + k
        else:
            proof.append(_subtree(reader, start, start + k))
            start += k
            m -= k
            complete = False
    proof.reverse()
    return proof


class _Memory:
    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.levels: list[list[bytes]] = [list(leaves)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append(
                [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )

    def node(self, level: int, index: int) -> bytes:
        return self.levels[level][index]


class _Recorder:
    """A reader that notes which stored nodes a computation asks for (all zero hashes)."""

    def __init__(self) -> None:
        self.asked: list[tuple[int, int]] = []

    def node(self, level: int, index: int) -> bytes:
        self.asked.append((level, index))
        return EMPTY_ROOT


def inclusion_reads(index: int, size: int) -> list[tuple[int, int]]:
    """Return the (level, index) of every stored node :func:`inclusion_proof` reads, so a store
    can fetch them in one go."""
    recorder = _Recorder()
    inclusion_proof(recorder, index, size)
    return recorder.asked


def consistency_reads(old: int, new: int) -> list[tuple[int, int]]:
    """Return the (level, index) of every stored node :func:`consistency_proof` reads."""
    recorder = _Recorder()
    consistency_proof(recorder, old, new)
    return recorder.asked


def root_from_leaves(data: Sequence[bytes]) -> bytes:
    """Return MTH of raw leaf inputs, computed from scratch (the oracle for tests)."""
    return root_at(_Memory([leaf_hash(d) for d in data]), len(data))
