"""The reconcile engine checks a statement's audit-log anchors with no database: figures equal
to the entry, leaf and proof to the checkpoint's root, the checkpoint signed by the log key."""

from __future__ import annotations

import json
from typing import Any

from mamori.engines import merkle, reconcile

ORIGIN = "exchange.test/mamori-audit"


class _Tree:
    def __init__(self, bodies: list[bytes]) -> None:
        self.leaves = [merkle.leaf_hash(b) for b in bodies]

    def node(self, level: int, index: int) -> bytes:
        nodes = self.leaves[index << level : (index + 1) << level]
        if len(nodes) != 1 << level:
            raise KeyError((level, index))
        while len(nodes) > 1:
            nodes = [merkle.node_hash(a, b) for a, b in zip(nodes[::2], nodes[1::2], strict=True)]
        return nodes[0]


def _body(index: int, details: dict[str, Any], action: str = "reconciliation.figures") -> bytes:
    entry = {"action": action, "index": index, "details": details}
    return json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()


def _statement(key: merkle.LogKey) -> dict[str, Any]:
    asset = {
        "asset": "ETH",
        "chain": "ethereum",
        "block": {"number": 7, "hash": "0xabc"},
        "status": "difference",
        "book": "100",
        "in_flight": "0",
        "on_chain": "97",
        "difference": "-3",
    }
    figures = {**reconcile.figures(4, asset), "assets": ["ETH"]}
    bodies = [_body(i, {}, "other") for i in range(5)] + [_body(5, figures)]
    bodies += [_body(i, {}, "other") for i in range(6, 11)]
    tree = _Tree(bodies)
    size = len(bodies)
    root = merkle.root_from_leaves(bodies)
    return {
        "run": 4,
        "assets": [asset],
        "anchors": {
            "checkpoint": key.sign(merkle.Checkpoint(ORIGIN, size, root)),
            "size": size,
            "entries": [
                {
                    "asset": "ETH",
                    "position": 5,
                    "body": bodies[5].decode(),
                    "proof": [h.hex() for h in merkle.inclusion_proof(tree, 5, size)],
                }
            ],
        },
    }


def test_an_anchored_statement_checks_and_each_change_is_named() -> None:
    key = merkle.LogKey.generate(ORIGIN)
    statement = _statement(key)
    assert reconcile.check_anchors(statement, [key.verifier()]) == []

    statement["assets"][0]["book"] = "97"
    assert reconcile.check_anchors(statement, [key.verifier()]) == [
        'ETH: book: the statement says "97", the audit log (entry 5) says "100"'
    ]
    statement["assets"][0]["book"] = "100"
    anchor = statement["anchors"]["entries"][0]
    anchor["body"] = anchor["body"].replace('"100"', '"97"')
    statement["assets"][0]["book"] = "97"
    problems = reconcile.check_anchors(statement, [key.verifier()])
    assert (
        len(problems) == 1 and "is not in the checkpoint of size 11: root mismatch" in problems[0]
    )

    other = merkle.LogKey.generate(ORIGIN)
    problems = reconcile.check_anchors(_statement(key), [other.verifier()])
    assert problems == [
        f"the statement's audit-log checkpoint: no signature by key {ORIGIN} "
        f"({other.key_id.hex()}); signed by another key"
    ]
    dropped = _statement(key)
    dropped["anchors"]["entries"] = []
    assert reconcile.check_anchors(dropped, [key.verifier()]) == [
        "ETH: its figures are not anchored in the audit log"
    ]


def test_the_statement_checkpoint_must_be_the_trusted_tree() -> None:
    key = merkle.LogKey.generate(ORIGIN)
    statement = _statement(key)
    mine = reconcile.statement_checkpoint(statement, [key.verifier()])
    assert reconcile.check_against_trusted(mine, mine, "p") == []
    other_root = merkle.Checkpoint(ORIGIN, mine.size, b"\1" * 32)
    assert (
        "diverges from the trusted checkpoint p at size 11"
        in (reconcile.check_against_trusted(mine, other_root, "p")[0])
    )
    later = merkle.Checkpoint(ORIGIN, mine.size + 1, mine.root)
    assert (
        "give the published checkpoint of size 11"
        in (reconcile.check_against_trusted(mine, later, "p")[0])
    )
