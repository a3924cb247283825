"""Entries stored in chunks of 256 leaves, in the shape of C2SP tlog-tiles (tile height 8).

A log of n entries is cut into aligned chunks of :data:`CHUNK` leaves. Entries appended
together are stored as a *run* that never crosses a chunk boundary: their bodies joined by
newlines (canonical JSON never holds a raw newline), their leaf hashes, and the hashes of the
subtrees of levels 1–7 they complete, in the order :class:`~mamori.engines.merkle.Frontier`
completes them. Subtrees of level :data:`CHUNK_LEVEL` and above are few (n/128) and are stored
one per row for O(log n) proofs; a lower node is recomputed from its chunk's ≤ 256 leaves.

Verification hashes whole runs and chunks at once (:mod:`~mamori.engines.merkle.bulk`: in C
where the build compiled it), which is what lets it run at over a million entries a second;
the per-entry checks that name an exact position (:func:`first_difference`) run only where a
chunk does not verify.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from mamori.engines.merkle import bulk
from mamori.engines.merkle.hashing import HASH_SIZE
from mamori.engines.merkle.tree import Frontier

__all__ = [
    "CHUNK",
    "CHUNK_LEVEL",
    "ChunkCheck",
    "Corrupt",
    "RawRun",
    "check_chunk",
    "completed_nodes",
    "first_difference",
    "inner_node_problem",
    "leaf_hashes",
    "pieces",
    "split_bodies",
    "split_hashes",
]

CHUNK_LEVEL = 8
CHUNK = 1 << CHUNK_LEVEL


class Corrupt(ValueError):
    """A stored run that cannot even be read as entries (wrong counts or lengths)."""


def leaf_hashes(bodies: Sequence[bytes]) -> list[bytes]:
    """Return SHA-256(0x00 || d) for every body (RFC 6962 §2.1), in one pass."""
    return split_hashes(bulk.leaf_hashes(b"\n".join(bodies)))


def split_hashes(blob: bytes) -> list[bytes]:
    """Return the 32-byte hashes of ``blob``; raise :class:`Corrupt` on a ragged length."""
    if len(blob) % HASH_SIZE:
        raise Corrupt(f"{len(blob)} bytes is not a whole number of {HASH_SIZE}-byte hashes")
    return [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]


def split_bodies(blob: bytes, count: int) -> list[bytes]:
    """Return the ``count`` bodies of a run; raise :class:`Corrupt` if it holds another number."""
    bodies = blob.split(b"\n")
    if len(bodies) != count:
        raise Corrupt(f"the run says {count} entries but holds {len(bodies)}")
    return bodies


def pieces(start: int, count: int) -> Iterator[tuple[int, int]]:
    """Yield (first, count) of the runs that store entries [start, start + count): cut at
    chunk boundaries."""
    end = start + count
    while start < end:
        stop = min(end, (start // CHUNK + 1) * CHUNK)
        yield start, stop - start
        start = stop


def completed_nodes(first: int, count: int) -> Iterator[tuple[int, int]]:
    """Yield (level, index) of every subtree of level ≥ 1 that entries [first, first + count)
    complete, in the order the frontier completes them (the order a run stores them)."""
    for position in range(first, first + count):
        level = 1
        while (position + 1) & ((1 << level) - 1) == 0:
            yield level, position >> level
            level += 1


def first_difference(first: int, expected: Sequence[bytes], got: Sequence[bytes]) -> int | None:
    """Return the position of the first hash that differs between two equal-length lists."""
    for offset, (a, b) in enumerate(zip(expected, got, strict=True)):
        if a != b:
            return first + offset
    return None


RawRun = tuple[int, int, bytes, bytes, bytes]
"""A stored run as read: (first, count, bodies, leaves, nodes)."""


@dataclass(frozen=True)
class ChunkCheck:
    """What one chunk gave: how many of its entries verified (from its start), their
    recomputed leaf hashes as one byte string (may be left out to save memory), the chunk's
    root when complete, and the first thing wrong with it."""

    chunk: int
    first: int | None
    size: int
    leaves: bytes
    root: bytes | None
    problem: str | None

    def without_leaves(self) -> ChunkCheck:
        """Return this check without its leaf hashes."""
        return ChunkCheck(self.chunk, self.first, self.size, b"", self.root, self.problem)

    def leaf_list(self, count: int | None = None) -> list[bytes]:
        """Return the first ``count`` (default: all) recomputed leaf hashes, one by one."""
        end = len(self.leaves) if count is None else count * HASH_SIZE
        return split_hashes(self.leaves[:end])


def _read_runs(chunk: int, runs: Sequence[RawRun]) -> tuple[bytes, bytes, str | None]:
    """Return the chunk's leaf hashes recomputed from its bodies and as stored, each as one
    byte string, and the first problem with the runs themselves (then only what came before
    it)."""
    expected = chunk * CHUNK
    computed: list[bytes] = []
    stored: list[bytes] = []
    problem = None
    for first, count, blob, leaf_blob, _ in runs:
        end = first + count
        if first > expected:
            problem = f"entry {expected} is missing (the next stored entry is {first})"
        elif first < expected:
            problem = f"entry {first} is stored twice (runs overlap up to {expected - 1})"
        elif count < 1 or end > (chunk + 1) * CHUNK:
            problem = f"entries {first}–{end - 1}: a run holds 1 to {CHUNK} entries of one chunk"
        elif len(leaf_blob) != count * HASH_SIZE:
            problem = (
                f"entries {first}–{end - 1}: the run holds {len(leaf_blob)} bytes of leaf "
                f"hashes for {count} entries"
            )
        else:
            hashes = bulk.leaf_hashes(blob)
            if len(hashes) != count * HASH_SIZE:
                problem = (
                    f"entries {first}–{end - 1}: the run says {count} entries but holds "
                    f"{len(hashes) // HASH_SIZE}"
                )
        if problem:
            break
        computed.append(hashes)
        stored.append(leaf_blob)
        expected = end
    return b"".join(computed), b"".join(stored), problem


def check_chunk(chunk: int, runs: Sequence[RawRun]) -> ChunkCheck:
    """Check the runs of one chunk: contiguous from the chunk's start, readable, every stored
    leaf hash equal to its body's; return the recomputed leaves and the chunk's root."""
    leaves, stored, problem = _read_runs(chunk, runs)
    if leaves != stored:
        start = chunk * CHUNK
        stored_leaves = split_hashes(stored)
        position = first_difference(start, stored_leaves, split_hashes(leaves))
        assert position is not None
        offset = position - start
        problem = (
            f"entry {position}: leaf hash expected {stored_leaves[offset].hex()}, "
            f"got {leaves[offset * HASH_SIZE : (offset + 1) * HASH_SIZE].hex()} "
            "(the entry was changed)"
        )
        leaves = leaves[: offset * HASH_SIZE]
    complete = problem is None and len(leaves) == CHUNK * HASH_SIZE
    first = runs[0][0] if runs else None
    root = bulk.perfect_root(leaves) if complete else None
    return ChunkCheck(chunk, first, len(leaves) // HASH_SIZE, leaves, root, problem)


def inner_node_problem(chunk: int, runs: Sequence[RawRun], leaves: Sequence[bytes]) -> str | None:
    """Compare each run's stored subtree hashes (levels 1–7) with those recomputed from
    ``leaves`` (the chunk's, from its start); return the first that differs, named by the
    entries it covers."""
    frontier = Frontier()
    base = chunk * CHUNK
    position = base
    for first, count, _, _, node_blob in runs:
        if first != position or position + count > base + len(leaves):
            return None  # the runs themselves are wrong: check_chunk names that
        try:
            stored = split_hashes(node_blob)
        except Corrupt as exc:
            return f"entries {first}–{first + count - 1}: stored tree nodes: {exc}"
        recomputed: list[tuple[int, int, bytes]] = []
        for leaf in leaves[first - base : first - base + count]:
            recomputed += [
                (level, index + (base >> level), value)
                for level, index, value in frontier.append(leaf)[1:]
                if level < CHUNK_LEVEL
            ]
        for offset, (level, index, value) in enumerate(recomputed):
            got = stored[offset] if offset < len(stored) else None
            if got != value:
                shown = got.hex() if got else "missing"
                return (
                    f"entries {index << level}–{((index + 1) << level) - 1}: stored tree node "
                    f"{level}/{index} is {shown}, recomputed {value.hex()} "
                    "(an entry and its leaf hash were both changed)"
                )
        if len(stored) > len(recomputed):
            return f"entries {first}–{first + count - 1}: the run stores nodes it does not complete"
        position += count
    return None
