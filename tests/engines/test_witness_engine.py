"""The witness cosigns a log's checkpoints only when they extend the last one it cosigned
(c2sp.org/tlog-witness, c2sp.org/tlog-cosignature); plain Python, no Django."""

from __future__ import annotations

import base64
import struct
from pathlib import Path

import pytest

from mamori.engines import merkle
from mamori.engines.merkle.cosignature import (
    CosignerKey,
    cosigned_message,
    verify_cosignature,
)
from mamori.engines.merkle.guard import Divergence, check_extends
from mamori.engines.witness import (
    Witness,
    format_add_checkpoint,
    origin_hash,
    parse_add_checkpoint,
)

ORIGIN = "exchange.example/mamori-audit"


class Tree:
    """A log kept in memory: leaves, and checkpoints signed by its key."""

    def __init__(self, key: merkle.LogKey, tag: str = "") -> None:
        self.key = key
        self.leaves: list[bytes] = []
        self.tag = tag

    def grow(self, n: int, tag: str | None = None) -> None:
        for _ in range(n):
            self.leaves.append(merkle.leaf_hash(f"{tag or self.tag}{len(self.leaves)}".encode()))

    def reader(self) -> object:
        from mamori.engines.merkle.proofs import _Memory

        return _Memory(self.leaves)

    def note(self, size: int | None = None) -> str:
        size = len(self.leaves) if size is None else size
        root = merkle.root_at(self.reader(), size) if size else merkle.EMPTY_ROOT
        return self.key.sign(merkle.Checkpoint(self.key.name, size, root))

    def request(self, old: int, size: int | None = None) -> bytes:
        size = len(self.leaves) if size is None else size
        proof = merkle.consistency_proof(self.reader(), old, size) if old else []
        return format_add_checkpoint(old, proof, self.note(size))


@pytest.fixture
def log_key() -> merkle.LogKey:
    return merkle.LogKey.generate(ORIGIN)


@pytest.fixture
def witness(tmp_path: Path, log_key: merkle.LogKey) -> Witness:
    return Witness(
        CosignerKey.generate("witness.example/w1"),
        {ORIGIN: log_key.verifier()},
        tmp_path / "state",
        clock=lambda: 1_700_000_000.5,
    )


def test_a_cosignature_is_an_ed25519_signature_over_the_v1_message() -> None:
    key = CosignerKey.generate("witness.example/w1")
    body = f"{ORIGIN}\n5\n{base64.b64encode(bytes(32)).decode()}\n"
    line = key.cosign(body, 1679315147)
    blob = base64.b64decode(line.rsplit(" ", 1)[1])
    assert blob[:4] == key.key_id and struct.unpack(">Q", blob[4:12]) == (1679315147,)
    assert cosigned_message(body, 1679315147) == (
        f"cosignature/v1\ntime 1679315147\n{body}".encode()
    )
    assert verify_cosignature(body + "\n" + line, key.verifier()).timestamp == 1679315147
    assert base64.b64decode(key.verifier().split("+", 2)[2])[:1] == b"\x04"  # cosignature/v1
    loaded = CosignerKey.from_private_text(key.private_text())
    assert loaded.verifier() == key.verifier()


def test_a_request_round_trips_and_malformed_ones_are_refused() -> None:
    request = format_add_checkpoint(3, [bytes(32)], "o\n5\nAAAA\n\n— o x\n")
    parsed = parse_add_checkpoint(request)
    assert parsed.old_size == 3 and parsed.proof == (bytes(32),)
    for bad in (b"old 01\n\nx\n", b"new 1\n\nx\n", b"old 1\nnot-base64!\n\nx\n", b"old 1\n"):
        with pytest.raises(ValueError):
            parse_add_checkpoint(bad)


def test_the_witness_cosigns_consistent_checkpoints_and_remembers_the_last(
    witness: Witness, log_key: merkle.LogKey
) -> None:
    tree = Tree(log_key)
    tree.grow(5)
    first = witness.add_checkpoint(tree.request(0))
    assert first.status == 200, first.body
    note = tree.note() + first.body.decode()
    assert verify_cosignature(note, witness.key.verifier()).timestamp == 1_700_000_000
    tree.grow(300)
    second = witness.add_checkpoint(tree.request(5))
    assert second.status == 200, second.body
    again = witness.add_checkpoint(tree.request(305))  # the same checkpoint: cosigned again
    assert again.status == 200
    served = witness.checkpoint(origin_hash(ORIGIN))
    assert served.status == 200
    kept = served.body.decode()
    assert merkle.parse_checkpoint(kept, log_key.verifier()).size == 305
    verify_cosignature(kept, witness.key.verifier())


def test_the_witness_refuses_a_fork_and_keeps_it_as_evidence(
    witness: Witness, log_key: merkle.LogKey
) -> None:
    tree = Tree(log_key)
    tree.grow(40)
    assert witness.add_checkpoint(tree.request(0)).status == 200
    fork = Tree(log_key)
    fork.leaves = tree.leaves[:30]
    fork.grow(20, tag="forged")
    refused = witness.add_checkpoint(fork.request(40))
    assert refused.status == 422
    assert b"not consistent with checkpoint 40" in refused.body
    assert list((witness.state_dir / "refused").iterdir())  # the signed fork is kept
    same_size = Tree(log_key)
    same_size.leaves = tree.leaves[:30]
    same_size.grow(10, tag="other")
    assert witness.add_checkpoint(same_size.request(40)).status == 422
    assert merkle.parse_checkpoint(
        witness.checkpoint(origin_hash(ORIGIN)).body.decode(), log_key.verifier()
    ) == merkle.Checkpoint(ORIGIN, 40, merkle.root_at(tree.reader(), 40))


def test_the_witness_answers_409_with_its_size_400_404_and_403(
    witness: Witness, log_key: merkle.LogKey
) -> None:
    tree = Tree(log_key)
    tree.grow(10)
    assert witness.add_checkpoint(tree.request(0)).status == 200
    tree.grow(5)
    conflict = witness.add_checkpoint(tree.request(0))
    assert (conflict.status, conflict.body, conflict.content_type) == (
        409,
        b"10\n",
        "text/x.tlog.size",
    )
    assert witness.add_checkpoint(format_add_checkpoint(20, [], tree.note())).status == 400
    stranger = Tree(merkle.LogKey.generate("other.example/log"))
    stranger.grow(3)
    assert witness.add_checkpoint(stranger.request(0)).status == 404
    impostor = Tree(merkle.LogKey.generate(ORIGIN))  # the right name, another key
    impostor.leaves = list(tree.leaves)
    assert witness.add_checkpoint(impostor.request(10)).status == 403
    assert witness.checkpoint(origin_hash("other.example/log")).status == 404


def test_the_guard_accepts_growth_and_names_a_divergence(log_key: merkle.LogKey) -> None:
    tree = Tree(log_key)
    tree.grow(20)
    last = merkle.Checkpoint(ORIGIN, 20, merkle.root_at(tree.reader(), 20))
    tree.grow(7)
    root = merkle.root_at(tree.reader(), 27)
    check_extends(last, 27, root, merkle.consistency_proof(tree.reader(), 20, 27))
    fork = Tree(log_key)
    fork.leaves = tree.leaves[:15]
    fork.grow(12, tag="forged")
    forged_root = merkle.root_at(fork.reader(), 27)
    found = merkle.root_at(fork.reader(), 20)
    with pytest.raises(Divergence) as divergence:
        check_extends(last, 27, forged_root, merkle.consistency_proof(fork.reader(), 20, 27), found)
    assert divergence.value.size == 20
    assert last.root.hex() in str(divergence.value) and found.hex() in str(divergence.value)
    with pytest.raises(Divergence, match="checkpoint 20 was signed but the log now holds"):
        check_extends(last, 19, forged_root, [])


def test_racing_requests_never_roll_the_witness_back(
    witness: Witness, log_key: merkle.LogKey
) -> None:
    """The check of the old size and the update are one step: of requests racing from the same
    old size, one wins and the others get 409 with the winner's size."""
    from concurrent.futures import ThreadPoolExecutor

    tree = Tree(log_key)
    tree.grow(10)
    assert witness.add_checkpoint(tree.request(0)).status == 200
    tree.grow(40)
    requests = [tree.request(10, size) for size in range(11, 51)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(witness.add_checkpoint, requests))
    winners = [a for a in answers if a.status == 200]
    assert len(winners) == 1
    held = merkle.parse_checkpoint(
        witness.checkpoint(origin_hash(ORIGIN)).body.decode(), log_key.verifier()
    ).size
    assert {a.body for a in answers if a.status != 200} == {f"{held}\n".encode()}
