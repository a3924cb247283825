"""RFC 6962 / RFC 9162 Merkle tree log: hashing, tree heads, proofs, checkpoints (ISM 23-1-2).

No Django. Storage is passed in through :class:`NodeReader`; :class:`Frontier` appends leaves
and yields the perfect-subtree nodes to store, so proofs need O(log n) node reads.
"""

from mamori.engines.merkle.checkpoint import (
    Checkpoint,
    CheckpointError,
    LogKey,
    RawSigner,
    note_verifier,
    parse_checkpoint,
    parse_checkpoint_by_any,
    verifier_key_id,
    verify_bytes,
)
from mamori.engines.merkle.hashing import EMPTY_ROOT, leaf_hash, node_hash
from mamori.engines.merkle.proofs import (
    NodeReader,
    consistency_proof,
    consistency_reads,
    inclusion_proof,
    inclusion_reads,
    root_at,
    root_from_leaves,
)
from mamori.engines.merkle.tree import Frontier
from mamori.engines.merkle.verify import ProofError, verify_consistency, verify_inclusion

__all__ = [
    "EMPTY_ROOT",
    "Checkpoint",
    "CheckpointError",
    "Frontier",
    "LogKey",
    "NodeReader",
    "ProofError",
    "RawSigner",
    "consistency_proof",
    "consistency_reads",
    "inclusion_proof",
    "inclusion_reads",
    "leaf_hash",
    "node_hash",
    "note_verifier",
    "parse_checkpoint",
    "parse_checkpoint_by_any",
    "root_at",
    "root_from_leaves",
    "verifier_key_id",
    "verify_bytes",
    "verify_consistency",
    "verify_inclusion",
]
