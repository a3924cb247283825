"""Rulebook engine benchmark: loading and checking the rule libraries, and status roll-up.

1. Load both shipped rule libraries with :func:`mamori.engines.rulebook.load_libraries` (YAML
   with line numbers, duplicate-key and URN checks, cross-references) against the baseline of
   PyYAML's plain ``safe_load`` of the same files (no checks at all): the price of the checks.
2. Status of every node of a synthetic rule tree (``--nodes`` requirements, 3 levels) with the
   engine's one-pass roll-up, against the naive way of recomputing each node's subtree from
   scratch. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from typing import Any

import yaml

from mamori.engines.rulebook import load_libraries
from mamori.engines.rulebook.status import ControlState, Status, requirement_status
from mamori.rulebook.catalogue import LIBRARY_DIR


def _load(repeat: int) -> tuple[float, float]:
    paths = sorted(LIBRARY_DIR.glob("jvcea-*.yaml"))
    t0 = time.perf_counter()
    for _ in range(repeat):
        load_libraries(paths)
    ours = (time.perf_counter() - t0) / repeat
    t0 = time.perf_counter()
    for _ in range(repeat):
        for path in paths:
            yaml.safe_load(path.read_text(encoding="utf-8"))
    baseline = (time.perf_counter() - t0) / repeat
    return ours, baseline


def _tree(nodes: int) -> dict[int, list[int]]:
    """A parent → children map: articles of ~5 paragraphs of ~4 items."""
    children: dict[int, list[int]] = {0: []}
    next_id = 1
    while next_id < nodes:
        article = next_id
        children[0].append(article)
        children[article] = []
        next_id += 1
        for _ in range(5):
            paragraph = next_id
            children[article].append(paragraph)
            children[paragraph] = list(range(next_id + 1, next_id + 5))
            for item in children[paragraph]:
                children[item] = []
            next_id += 5
    return children


def _statuses(
    children: dict[int, list[int]], controls: dict[int, list[ControlState]]
) -> dict[int, Status]:
    out: dict[int, Status] = {}
    stack: list[tuple[int, bool]] = [(0, False)]
    while stack:
        node, done = stack.pop()
        if done:
            out[node] = requirement_status(controls.get(node, []), [out[c] for c in children[node]])
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in children[node])
    return out


def _naive(
    children: dict[int, list[int]], controls: dict[int, list[ControlState]]
) -> dict[int, Status]:
    def status_of(node: int) -> Status:
        return requirement_status(controls.get(node, []), [status_of(c) for c in children[node]])

    return {node: status_of(node) for node in children}


def main(argv: list[str]) -> int:
    """Run both measurements and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m mamori.bench rulebook")
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    ours_load, yaml_load = _load(args.repeat)
    children = _tree(args.nodes)
    rng = random.Random(27)  # noqa: S311 - reproducible data, not security
    controls = {
        node: [ControlState(f"C{node}", rng.random() < 0.7, "x", "x")]
        for node in children
        if not children[node]
    }
    t0 = time.perf_counter()
    fast = _statuses(children, controls)
    status_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    slow = _naive(children, controls)
    naive_s = time.perf_counter() - t0
    if {k: v.value for k, v in fast.items()} != {k: v.value for k, v in slow.items()}:
        raise SystemExit("the one-pass roll-up and the naive recomputation disagree")
    figures: dict[str, Any] = {
        "bench": "rulebook",
        "load_ms": round(ours_load * 1000, 1),
        "baseline": "pyyaml.safe_load",
        "baseline_load_ms": round(yaml_load * 1000, 1),
        "load_overhead": round(ours_load / yaml_load, 2),
        "nodes": len(children),
        "status_nodes_per_s": round(len(children) / status_s),
        "naive_status_nodes_per_s": round(len(children) / naive_s),
        "ratio_status": round(naive_s / status_s, 2),
    }
    print(
        f"libraries: {figures['load_ms']} ms checked vs {figures['baseline_load_ms']} ms plain "
        f"safe_load; status: {figures['status_nodes_per_s']} nodes/s one pass vs "
        f"{figures['naive_status_nodes_per_s']} naive"
    )
    print(json.dumps(figures))
    return 0
