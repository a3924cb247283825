"""The Merkle engine against the RFC 6962 conformance vectors and a from-scratch oracle."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.engines.merkle import (
    Checkpoint,
    CheckpointError,
    Frontier,
    LogKey,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    parse_checkpoint,
    root_at,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)
from mamori.testing.pytest_plugin import services_required

REPO = Path(__file__).resolve().parents[2]
VECTORS = Path(os.environ.get("MAMORI_CONFORMANCE_DIR", REPO.parent / "shared" / "conformance"))
RFC6962 = VECTORS / "rfc6962"


def vectors(kind: str) -> list[Path]:
    if not RFC6962.exists():
        if services_required():
            raise RuntimeError(f"conformance vectors not found at {RFC6962}")
        return []
    return sorted((RFC6962 / kind).rglob("*.json"))


def b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(RFC6962)) for p in paths]


INCLUSION = vectors("inclusion")
CONSISTENCY = vectors("consistency")


def test_the_conformance_vectors_are_all_there() -> None:
    if not RFC6962.exists() and not services_required():
        pytest.skip(f"no conformance vectors at {RFC6962}")
    assert len(INCLUSION) + len(CONSISTENCY) >= 190
    assert (RFC6962 / "reference-tree.json").exists()


@pytest.mark.parametrize("path", INCLUSION, ids=ids(INCLUSION))
def test_inclusion_vectors(path: Path) -> None:
    case = json.loads(path.read_text())
    proof = [b64(p) for p in case.get("proof") or []]
    args = (case["leafIdx"], case["treeSize"], b64(case["leafHash"]), proof, b64(case["root"]))
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", CONSISTENCY, ids=ids(CONSISTENCY))
def test_consistency_vectors(path: Path) -> None:
    case = json.loads(path.read_text())
    proof = [b64(p) for p in case.get("proof") or []]
    args = (case["size1"], case["size2"], b64(case["root1"]), b64(case["root2"]), proof)
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


def test_reference_tree_roots_for_every_size() -> None:
    path = RFC6962 / "reference-tree.json"
    if not path.exists():
        pytest.skip("no reference tree")
    reference = json.loads(path.read_text())
    leaves = [bytes.fromhex(h) for h in reference["leaf_inputs_hex"]]
    frontier = Frontier()
    for size, expected in enumerate(reference["root_hash_hex_by_size"]):
        assert root_from_leaves(leaves[:size]).hex() == expected
        assert frontier.root().hex() == expected
        if size < len(leaves):
            list(frontier.append(leaf_hash(leaves[size])))


class Store:
    """Nodes emitted by the frontier, as the database would keep them."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.frontier = Frontier()

    def add(self, data: bytes) -> None:
        for level, index, value in self.frontier.append(leaf_hash(data)):
            self.nodes[(level, index)] = value

    def node(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]


@settings(max_examples=150, deadline=None)
@given(data=st.lists(st.binary(max_size=8), min_size=1, max_size=70, unique=True), pick=st.data())
def test_generated_proofs_verify_against_the_oracle(data, pick) -> None:
    store = Store()
    for item in data:
        store.add(item)
    size = pick.draw(st.integers(1, len(data)))
    index = pick.draw(st.integers(0, size - 1))
    root = root_from_leaves(data[:size])
    assert root_at(store, size) == root
    verify_inclusion(index, size, leaf_hash(data[index]), inclusion_proof(store, index, size), root)
    old = pick.draw(st.integers(1, size))
    proof = consistency_proof(store, old, size)
    verify_consistency(old, size, root_from_leaves(data[:old]), root, proof)
    if old < size:
        with pytest.raises(ProofError):
            verify_consistency(
                old, size, root_from_leaves([*data[: old - 1], b"\xff" * 9]), root, proof
            )
    if size > 1:
        with pytest.raises(ProofError):
            wrong = (index + 1) % size
            verify_inclusion(
                wrong, size, leaf_hash(data[index]), inclusion_proof(store, index, size), root
            )


def test_checkpoints_are_signed_notes_that_verify() -> None:
    key = LogKey.generate("mamori.example/log")
    checkpoint = Checkpoint("mamori.example/log", 42, b"\x01" * 32)
    note = key.sign(checkpoint)
    lines = note.splitlines()
    assert lines[:3] == ["mamori.example/log", "42", base64.b64encode(b"\x01" * 32).decode()]
    assert lines[3] == "" and lines[4].startswith("\u2014 mamori.example/log ")
    assert base64.b64decode(lines[4].split()[-1])[:4] == key.key_id
    assert parse_checkpoint(note, key.verifier()) == checkpoint


def test_a_checkpoint_signed_by_another_key_or_altered_is_refused() -> None:
    key, other = LogKey.generate("log"), LogKey.generate("log")
    note = key.sign(Checkpoint("log", 7, b"\x02" * 32))
    with pytest.raises(CheckpointError, match="another key"):
        parse_checkpoint(note, other.verifier())
    with pytest.raises(CheckpointError, match="does not verify"):
        parse_checkpoint(note.replace("\n7\n", "\n8\n"), key.verifier())
