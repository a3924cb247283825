"""Append leaves keeping only the right frontier; emit every perfect subtree as it completes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from mamori.engines.merkle.hashing import EMPTY_ROOT, node_hash

__all__ = ["Frontier", "Node"]

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

    def append(self, leaf: bytes) -> Iterator[Node]:
        """Add one leaf hash; yield the leaf node and every subtree it completes."""
        index = self.size
        yield (0, index, leaf)
        current = leaf
        level = 0
        while index >> level & 1:  # merge with equal-sized subtrees on the right edge
            current = node_hash(self.hashes.pop(), current)
            level += 1
            yield (level, index >> level, current)
        self.hashes.append(current)
        self.size += 1

    def root(self) -> bytes:
        """Return the tree head: MTH of all leaves so far."""
        if not self.hashes:
            return EMPTY_ROOT
        result = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            result = node_hash(left, result)
        return result
