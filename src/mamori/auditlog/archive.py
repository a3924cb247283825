"""Export a range of the log so an outsider can verify it offline with only the public key.

An archive is a folder: ``entries.jsonl`` (one entry per line: position, leaf hash, body),
``checkpoint.note`` (a signed checkpoint of size S ≥ end) and ``manifest.json`` (range, the
frontier hashes at ``start``, the consistency proof from ``end`` to S, the verifier key).
The verifier rebuilds the tree from the frontier and the entries, then proves with the
consistency proof that it is a prefix of the signed tree.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from mamori.auditlog import keys, services, store
from mamori.auditlog.models import Checkpoint
from mamori.engines import merkle

__all__ = ["ArchiveError", "export", "verify_archive"]


class ArchiveError(ValueError):
    """An archive that does not verify; the message names the entry or file."""


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def export(start: int, end: int, folder: Path) -> dict[str, Any]:
    """Write entries [start, end) with a covering checkpoint; return the manifest."""
    services.issue_checkpoint()
    checkpoint = Checkpoint.objects.order_by("-size").first()
    if checkpoint is None or not 0 <= start < end <= checkpoint.size:
        size = checkpoint.size if checkpoint else 0
        raise ArchiveError(f"range {start}..{end} is not within the signed log of {size} entries")
    cursor = store.raw_cursor()
    reader = store.DbNodes(cursor)
    frontier_hashes = store.frontier_hashes(reader, start)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with (folder / "entries.jsonl").open("w", encoding="utf-8") as out:
        for position, body, leaf in store.entries(cursor, start, end):
            item = {"position": position, "leaf_hash": _b64(leaf), "body": body.decode("utf-8")}
            line = json.dumps(item, ensure_ascii=False) + "\n"
            digest.update(line.encode("utf-8"))
            out.write(line)
    (folder / "checkpoint.note").write_text(checkpoint.note, encoding="utf-8")
    manifest = {
        "format": "mamori-audit-archive/1",
        "start": start,
        "end": end,
        "checkpoint_size": checkpoint.size,
        "frontier_at_start": [_b64(h) for h in frontier_hashes],
        "consistency_proof": [
            _b64(h) for h in merkle.consistency_proof(reader, end, checkpoint.size)
        ],
        "verifier_key": keys.database_verifier("log"),
        "entries_sha256": digest.hexdigest(),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    services.record_export(
        "auditlog.archive",
        digest.hexdigest(),
        {"start": start, "end": end, "checkpoint": checkpoint.size},
    )
    return manifest


def verify_archive(folder: Path, verifier: str) -> int:
    """Verify an archive with only ``verifier`` (the public key); return the entries checked."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        note = (folder / "checkpoint.note").read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise ArchiveError(f"cannot read the archive: {exc}") from None
    try:
        signed = merkle.parse_checkpoint(note, verifier)
    except merkle.CheckpointError as exc:
        raise ArchiveError(f"checkpoint.note: {exc}") from None
    start, end = int(manifest["start"]), int(manifest["end"])
    if signed.size != int(manifest["checkpoint_size"]) or not start < end <= signed.size:
        raise ArchiveError(
            f"manifest range {start}..{end} does not fit the checkpoint {signed.size}"
        )
    frontier = merkle.Frontier(start, [base64.b64decode(h) for h in manifest["frontier_at_start"]])
    expected = start
    with (folder / "entries.jsonl").open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            item = json.loads(line)
            body = item["body"]
            leaf = merkle.leaf_hash(body.encode("utf-8"))
            if item["position"] != expected or json.loads(body).get("index") != expected:
                raise ArchiveError(f"entries.jsonl line {number}: expected entry {expected}")
            if base64.b64decode(item["leaf_hash"]) != leaf:
                raise ArchiveError(f"entry {expected}: leaf hash does not match its body")
            list(frontier.append(leaf))
            expected += 1
    if expected != end:
        raise ArchiveError(f"entries.jsonl holds entries {start}..{expected}, expected ..{end}")
    root = frontier.root()
    proof = [base64.b64decode(h) for h in manifest["consistency_proof"]]
    try:
        merkle.verify_consistency(end, signed.size, root, signed.root, proof)
    except merkle.ProofError as exc:
        raise ArchiveError(f"the entries are not part of the signed log: {exc}") from None
    return end - start
