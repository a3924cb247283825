"""Append leaves keeping only the right frontier; emit every perfect subtree as it completes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from mamori.engines.merkle.hashing import EMPTY_ROOT, node_hash

__all__ = ["Frontier", "Node"]

_sha256 = hashlib.sha256  # node_hash inlined: appends are the log's hot path

Node = tuple[int, int, bytes]
"""(level, index, hash): the root of leaves [index·2^level, (index+1)·2^level)."""


class Frontier:
    """The roots of the perfect subtrees that make up a tree of ``size`` leaves.

    ``hashes[i]`` belongs to the i-th set bit of ``size`` from the most significant; together
    they give the root (RFC 6962 §2.1 MTH, folded right to left).
    """

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != bin(size).count("1"):
            raise ValueError(
                f"a frontier of size {size} needs {bin(size).count('1')} hashes, got {len(hashes)}"
            )
        self.size = size
        self.hashes = list(hashes)

    @staticmethod
    def levels(size: int) -> list[int]:
        """Return the levels of the frontier's subtrees for ``size``, largest first."""
        return [bit for bit in range(size.bit_length() - 1, -1, -1) if size >> bit & 1]

    def append(self, leaf: bytes) -> list[Node]:
        """Add one leaf hash; return the leaf node and every subtree it completes, lowest
        first."""
        index = self.size
        nodes = [(0, index, leaf)]
        current = leaf
        level = 0
        hashes = self.hashes
        while index >> level & 1:  # merge with equal-sized subtrees on the right edge
            current = _sha256(b"\x01" + hashes.pop() + current).digest()
            level += 1
            nodes.append((level, index >> level, current))
        hashes.append(current)
        self.size = index + 1
        return nodes

    def extend(self, leaves: Sequence[bytes]) -> list[Node]:
        """Add leaf hashes in order; return the subtrees of level ≥ 1 they complete, in the
        order they complete (the same as :meth:`append` without the leaf nodes)."""
        completed: list[Node] = []
        hashes = self.hashes
        index = self.size
        for leaf in leaves:
            current = leaf
            level = 0
            while index >> level & 1:
                current = _sha256(b"\x01" + hashes.pop() + current).digest()
                level += 1
                completed.append((level, index >> level, current))
            hashes.append(current)
            index += 1
        self.size = index
        return completed

    def root(self) -> bytes:
        """Return the tree head: MTH of all leaves so far."""
        if not self.hashes:
            return EMPTY_ROOT
        result = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            result = node_hash(left, result)
        return result
