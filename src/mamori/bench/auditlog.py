"""Benchmark of the audit log against pymerkle (SQLite backend), on the same entries.

Measures, on an embedded SQLite database in a temporary folder:
durable appends per second (batches of ``--batch`` entries per committed transaction — group
commit), the p99 time to produce an inclusion proof for random entries of the full log, and
full verification speed (``mamori log verify``'s code path). The peer appends the same entry
bytes with ``SqliteTree.append_entries`` (its bulk path) and proves inclusion with
``prove_inclusion``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["main"]


def _setup(data_dir: Path) -> None:
    os.environ["MAMORI_DATA_DIR"] = str(data_dir / "data")
    os.environ.pop("MAMORI_DATABASE_URL", None)
    for name in ("MAMORI_PKCS11_MODULE", "MAMORI_PKCS11_PIN_FILE"):
        os.environ.pop(name, None)
    os.environ["MAMORI_SIGNING_KEY_DIR"] = str(data_dir / "keys")  # outside the data
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mamori.settings")
    import django
    from django.core.management import call_command

    (data_dir / "data").mkdir()
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from mamori.auditlog import keys

    keys.init("log", "system:bench")


def _entry(i: int, start: datetime) -> dict[str, Any]:
    at = start + timedelta(milliseconds=i)
    return {
        "at": at.isoformat(),
        "actor": f"user:staff{i % 500}",
        "action": ("create", "update", "read", "signin.success")[i % 4],
        "object": {"type": "custody.withdrawal", "id": str(1_000_000 + i)},
        "before": None,
        "after": f"{i:064x}",
        "request_id": f"{i // 3:032x}",
        "ip": "10.0.0.1",
        "details": {},
    }


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] if len(samples) >= 100 else max(samples)


def _ours(entries: int, batch: int, proofs: int) -> dict[str, float]:
    from mamori.auditlog import services, store, verify
    from mamori.engines import merkle

    start_time = datetime(2026, 1, 1, tzinfo=UTC)
    installed = store.size()  # installing mamori already logs what it loads (rule libraries)
    appended = 0.0
    for first in range(0, entries, batch):
        chunk = []  # the input, built untimed as the peer's is
        for i in range(first, min(first + batch, entries)):
            body = _entry(i, start_time)
            chunk.append(
                store.PreparedEntry(
                    start_time,
                    body["actor"],
                    body["action"],
                    "custody.withdrawal",
                    body["object"]["id"],
                    body["request_id"],
                    body,
                )
            )
        begun = time.perf_counter()
        store.append(chunk)  # one committed transaction per batch
        appended += time.perf_counter() - begun

    reader = store.DbNodes()
    rng = random.Random(6962)  # noqa: S311 - reproducible sample, not security
    timings = []
    size = installed + entries
    root = merkle.root_at(reader, size)
    for _ in range(proofs):
        position = rng.randrange(size)
        t0 = time.perf_counter()
        proof = store.inclusion_proof(reader, position, size)
        timings.append(time.perf_counter() - t0)
        if len(timings) <= 100:
            merkle.verify_inclusion(position, size, reader.node(0, position), proof, root)

    services.issue_checkpoint()
    t0 = time.perf_counter()
    result = verify.verify(services.log_key().verifier(), index=False)
    verified = time.perf_counter() - t0
    if not result.ok or result.entries != size:
        raise SystemExit(f"verification failed: {result.problem}")

    t0 = time.perf_counter()
    store.catch_up_index()  # the search index, filled outside the append path
    indexed = time.perf_counter() - t0
    t0 = time.perf_counter()
    verify.check_index(store.raw_cursor(), size)
    index_checked = time.perf_counter() - t0
    return {
        "appends_per_s": entries / appended,
        "proof_p99_ms": _p99(timings) * 1000,
        "proof_median_ms": statistics.median(timings) * 1000,
        "verify_per_s": size / verified,
        "index_per_s": size / indexed,
        "index_verify_per_s": size / index_checked,
    }


def _peer(entries: int, proofs: int, folder: Path) -> dict[str, float] | None:
    try:
        from pymerkle import SqliteTree
    except ImportError:
        return None
    from mamori.auditlog.store import canonical

    start_time = datetime(2026, 1, 1, tzinfo=UTC)
    tree = SqliteTree(str(folder / "pymerkle.db"))
    appended = 0.0
    chunk = 100_000
    for first in range(0, entries, chunk):  # streamed: the whole list would not fit in memory
        data = [
            canonical({**_entry(i, start_time), "index": i})
            for i in range(first, min(first + chunk, entries))
        ]
        t0 = time.perf_counter()
        tree.append_entries(data, chunksize=chunk)
        appended += time.perf_counter() - t0
    rng = random.Random(6962)  # noqa: S311 - reproducible sample, not security
    timings = []
    for _ in range(proofs):
        index = rng.randrange(entries) + 1  # pymerkle counts from 1
        t1 = time.perf_counter()
        tree.prove_inclusion(index, entries)
        timings.append(time.perf_counter() - t1)
    tree.close()
    return {"appends_per_s": entries / appended, "proof_p99_ms": _p99(timings) * 1000}


def main(argv: list[str]) -> int:
    """Run the benchmark and print its figures; the last line is one JSON object."""
    parser = argparse.ArgumentParser(prog="python -m mamori.bench auditlog")
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--proofs", type=int, default=10_000)
    parser.add_argument(
        "--peer-entries",
        type=int,
        default=None,
        help="entries for the peer (default: the same as --entries)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mamori-bench-") as tmp:
        folder = Path(tmp)
        _setup(folder)
        ours = _ours(args.entries, args.batch, args.proofs)
        print(
            f"mamori: {args.entries} entries, {ours['appends_per_s']:.0f} appends/s "
            f"(batches of {args.batch}), inclusion proof p99 {ours['proof_p99_ms']:.3f} ms "
            f"(median {ours['proof_median_ms']:.3f} ms), verify {ours['verify_per_s']:.0f}/s; "
            f"search index built at {ours['index_per_s']:.0f}/s, "
            f"checked at {ours['index_verify_per_s']:.0f}/s",
            file=sys.stderr,
        )
        peer_entries = args.peer_entries or min(args.entries, 1_000_000)
        peer = _peer(peer_entries, args.proofs, folder)
        if peer:
            print(
                f"pymerkle: {peer_entries} entries, {peer['appends_per_s']:.0f} appends/s, "
                f"inclusion proof p99 {peer['proof_p99_ms']:.3f} ms",
                file=sys.stderr,
            )
    figures = {
        "bench": "auditlog",
        "entries": args.entries,
        "appends_per_s": round(ours["appends_per_s"]),
        "proof_p99_ms": round(ours["proof_p99_ms"], 4),
        "verify_per_s": round(ours["verify_per_s"]),
        "index_per_s": round(ours["index_per_s"]),
        "index_verify_per_s": round(ours["index_verify_per_s"]),
        "peer": "pymerkle",
        "peer_entries": peer_entries,
        "peer_appends_per_s": round(peer["appends_per_s"]) if peer else None,
        "peer_proof_p99_ms": round(peer["proof_p99_ms"], 4) if peer else None,
        "ratio_appends": round(ours["appends_per_s"] / peer["appends_per_s"], 2) if peer else None,
        "ratio_proofs": round(peer["proof_p99_ms"] / ours["proof_p99_ms"], 2) if peer else None,
    }
    print(json.dumps(figures))
    return 0
