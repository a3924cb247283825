"""Statement figures anchored in the audit log (ISM 34-3, ISM 23-1-2).

When a run finishes, each asset's figures are written to the audit log as one entry
(action :data:`FIGURES_ACTION`, the figures in ``details``). A statement carries, per asset,
that entry's position, its exact leaf body and its inclusion proof, and the signed checkpoint
they lead to. :func:`check_anchors` needs no database: the figures in the statement must equal
the figures in the entry, the entry's RFC 6962 leaf hash and proof must lead to the
checkpoint's root, and the checkpoint must be signed by the log key the auditor holds.
:func:`check_against_trusted` compares that checkpoint with one published outside mamori.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

from mamori.engines.merkle import (
    Checkpoint,
    CheckpointError,
    ProofError,
    leaf_hash,
    parse_checkpoint_by_any,
    verify_inclusion,
)

__all__ = [
    "FIGURES",
    "FIGURES_ACTION",
    "check_against_trusted",
    "check_anchors",
    "figures",
    "statement_checkpoint",
    "verified_checkpoint",
]

FIGURES_ACTION = "reconciliation.figures"
#: The figures of an asset result that its audit-log entry carries and a statement must match.
FIGURES = (
    "run",
    "asset",
    "chain",
    "block",
    "status",
    "book",
    "in_flight",
    "on_chain",
    "difference",
)


def _block(block: Any) -> dict[str, Any] | None:
    if not isinstance(block, dict):
        return None
    number: Any = block.get("number")
    with suppress(TypeError, ValueError):  # a malformed figure stays as it is: it differs
        number = int(number)
    return {"number": number, "hash": str(block.get("hash"))}


def figures(run: int, entry: dict[str, Any]) -> dict[str, Any]:
    """Return the anchored figures of a statement's asset ``entry`` of run ``run`` (amounts
    as decimal strings of base units, the block as ``{number, hash}`` or None)."""
    block = entry.get("block")
    return {
        "run": run,
        "asset": entry.get("asset"),
        "chain": entry.get("chain"),
        "block": _block(block),
        "status": entry.get("status"),
        "book": entry.get("book"),
        "in_flight": entry.get("in_flight"),
        "on_chain": entry.get("on_chain"),
        "difference": entry.get("difference"),
    }


def verified_checkpoint(note: str, verifiers: Sequence[str]) -> Checkpoint:
    """Return the checkpoint of ``note`` signed by one of the log keys ``verifiers``; raise
    :class:`CheckpointError` if none verifies it (a bad signature's reason before a missing
    one's)."""
    return parse_checkpoint_by_any(note, verifiers)


def statement_checkpoint(statement: dict[str, Any], verifiers: Sequence[str]) -> Checkpoint:
    """Return the checkpoint ``statement`` is anchored to, verified with one of the log keys
    ``verifiers``; raise :class:`CheckpointError` saying why not."""
    anchors = statement.get("anchors")
    note = anchors.get("checkpoint") if isinstance(anchors, dict) else None
    if not isinstance(note, str):
        raise CheckpointError("the statement carries no audit-log checkpoint")
    return verified_checkpoint(note, verifiers)


def _shown(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _check_one(
    asset: str, stated: dict[str, Any], anchor: dict[str, Any], checkpoint: Checkpoint | None
) -> list[str]:
    problems: list[str] = []
    position, body_text = anchor.get("position"), anchor.get("body")
    if not isinstance(position, int) or not isinstance(body_text, str):
        return [f"{asset}: its anchor lacks the entry's position or body"]
    body = body_text.encode("utf-8")
    try:
        entry = json.loads(body)
    except ValueError:
        return [f"{asset}: audit-log entry {position}: the body is not JSON"]
    if not isinstance(entry, dict):
        return [f"{asset}: audit-log entry {position}: the body is not an entry"]
    if entry.get("action") != FIGURES_ACTION:
        problems.append(
            f"{asset}: audit-log entry {position} is a {entry.get('action')!r} entry, "
            f"not {FIGURES_ACTION!r}"
        )
    if entry.get("index") != position:
        problems.append(
            f"{asset}: audit-log entry {position}: its body says index {entry.get('index')}"
        )
    raw_details = entry.get("details")
    details: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
    for name in FIGURES:
        if stated.get(name) != details.get(name):
            problems.append(
                f"{asset}: {name}: the statement says {_shown(stated.get(name))}, the audit "
                f"log (entry {position}) says {_shown(details.get(name))}"
            )
    if checkpoint is None:
        return problems
    proof_text = anchor.get("proof")
    try:
        proof = [bytes.fromhex(str(h)) for h in proof_text] if isinstance(proof_text, list) else []
        verify_inclusion(position, checkpoint.size, leaf_hash(body), proof, checkpoint.root)
    except (ValueError, ProofError) as exc:
        problems.append(
            f"{asset}: audit-log entry {position} is not in the checkpoint of size "
            f"{checkpoint.size}: {exc}"
        )
    return problems


def check_anchors(statement: dict[str, Any], verifiers: Sequence[str]) -> list[str]:
    """Return every way ``statement``'s figures are not anchored in the audit log (empty when
    each asset's figures equal its entry's, each entry is in the checkpoint and the
    checkpoint is signed by one of the log keys ``verifiers``)."""
    problems: list[str] = []
    anchors = statement.get("anchors")
    if not isinstance(anchors, dict):
        return ["the statement carries no audit-log anchors"]
    checkpoint: Checkpoint | None
    try:
        checkpoint = statement_checkpoint(statement, verifiers)
    except CheckpointError as exc:
        checkpoint = None
        problems.append(f"the statement's audit-log checkpoint: {exc}")
    raw_listed = anchors.get("entries")
    listed: list[Any] = raw_listed if isinstance(raw_listed, list) else []
    by_asset: dict[str, dict[str, Any]] = {}
    for anchor in listed:
        if isinstance(anchor, dict) and isinstance(anchor.get("asset"), str):
            by_asset[anchor["asset"]] = anchor
    run = statement.get("run")
    stated_assets = []
    for entry in statement.get("assets", []):
        asset = str(entry.get("asset"))
        stated_assets.append(asset)
        anchor = by_asset.get(asset)
        if anchor is None:
            problems.append(f"{asset}: its figures are not anchored in the audit log")
            continue
        run_id = run if isinstance(run, int) else -1
        problems += _check_one(asset, figures(run_id, entry), anchor, checkpoint)
        try:
            logged = json.loads(anchor["body"])["details"].get("assets")
        except (KeyError, TypeError, ValueError, AttributeError):
            logged = None
        if isinstance(logged, list) and sorted(logged) != sorted(
            str(a.get("asset")) for a in statement.get("assets", [])
        ):
            problems.append(
                f"{asset}: the audit log says run {run} reconciled {', '.join(sorted(logged))}; "
                f"the statement lists "
                f"{', '.join(sorted(str(a.get('asset')) for a in statement.get('assets', [])))}"
            )
    for asset in sorted(set(by_asset) - set(stated_assets)):
        problems.append(f"{asset}: anchored in the audit log but missing from the statement")
    return problems


def check_against_trusted(checkpoint: Checkpoint, trusted: Checkpoint, source: str) -> list[str]:
    """Return why the statement's ``checkpoint`` is not the published ``trusted`` one (the
    same tree: same origin, same size, same root), or nothing."""
    if trusted.origin != checkpoint.origin:
        return [
            f"the trusted checkpoint {source} is of log {trusted.origin!r}, the statement's "
            f"of {checkpoint.origin!r}"
        ]
    if trusted.size != checkpoint.size:
        return [
            f"the trusted checkpoint {source} was signed at size {trusted.size}, the "
            f"statement's at size {checkpoint.size}: give the published checkpoint of size "
            f"{checkpoint.size} (checkpoints/{checkpoint.size}) or the publish directory"
        ]
    if not hmac.compare_digest(trusted.root, checkpoint.root):
        return [
            f"the statement's checkpoint diverges from the trusted checkpoint {source} at "
            f"size {checkpoint.size}: published root {trusted.root.hex()}, the statement "
            f"gives {checkpoint.root.hex()}"
        ]
    return []
