"""Reconciliation benchmark (ISM 34-1): chain reads and book aggregation.

1. anvil (the real node of the tests) with ``--addresses`` funded addresses, each holding
   ether and the test token. The batched adapter (:class:`mamori.engines.chains.EvmAdapter`,
   JSON-RPC batches by block hash) reads every native and token balance at one pinned block;
   the baseline is the naive way — one ``eth_getBalance`` and one ``eth_call`` HTTP request
   per address, over the same kept-alive connection — on the same addresses in the same run.
   Both must read identical figures.
2. The book: ``--book-rows`` ledger rows as Parquet (and CSV), validated and aggregated per
   asset, wallet and category by :func:`mamori.engines.reconcile.read_book`.

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import polars as pl

from mamori.engines import chains, reconcile
from mamori.testing.anvil import make_addresses, running_anvil

WALLETS = {"BTC-hot": "BTC", "BTC-cold": "BTC", "ETH-hot": "ETH", "ETH-cold": "ETH"}
WALLETS |= {"USDC-hot": "USDC", "USDC-cold": "USDC"}


def _fund(node: Any, addresses: list[str]) -> str:
    token = node.deploy("TestToken")
    node.set_balances(addresses, [10**15 + n for n in range(len(addresses))])
    node.mint(token, addresses, [n + 1 for n in range(len(addresses))])
    return str(token)


def _batched(
    url: str, block: chains.Block, holdings: list[chains.Holding], batch: int
) -> tuple[float, list[int | None]]:
    adapter = chains.EvmAdapter(
        chains.JsonRpc(chains.RpcSettings(url, batch_size=batch, timeout=120))
    )
    started = time.perf_counter()
    readings = adapter.balances(block, holdings)
    elapsed = time.perf_counter() - started
    return elapsed, [r.amount for r in readings]


def _naive(
    url: str, block: chains.Block, holdings: list[chains.Holding]
) -> tuple[float, list[int | None]]:
    amounts: list[int | None] = []
    at = {"blockHash": block.hash}
    with httpx.Client(timeout=60) as client:
        started = time.perf_counter()
        for n, holding in enumerate(holdings):
            if holding.contract is None:
                body = {
                    "jsonrpc": "2.0",
                    "id": n,
                    "method": "eth_getBalance",
                    "params": [holding.address, at],
                }
            else:
                data = chains.BALANCE_OF + holding.address[2:].lower().rjust(64, "0")
                call = {"to": holding.contract, "data": data}
                body = {"jsonrpc": "2.0", "id": n, "method": "eth_call", "params": [call, at]}
            result = client.post(url, json=body).json().get("result")
            amounts.append(int(result, 16) if isinstance(result, str) else None)
        elapsed = time.perf_counter() - started
    return elapsed, amounts


def _book(rows: int, folder: Path) -> tuple[Path, Path]:
    i = pl.col("i")
    frame = (
        pl.select(pl.int_range(0, rows, dtype=pl.Int64).alias("i"))
        .with_columns(
            pl.when(i % 10 == 0)
            .then(pl.lit("own"))
            .otherwise(pl.lit("customer"))
            .alias("category"),
            pl.when(i % 3 == 0)
            .then(pl.lit("BTC"))
            .when(i % 3 == 1)
            .then(pl.lit("ETH"))
            .otherwise(pl.lit("USDC"))
            .alias("asset"),
            (i * 2654435761 % 1_000_003).cast(pl.Utf8).alias("account"),
            (i * 48271 % 10**15).cast(pl.Utf8).alias("amount"),
        )
        .with_columns(
            pl.concat_str(
                pl.col("asset"), pl.when(i % 7 == 0).then(pl.lit("-hot")).otherwise(pl.lit("-cold"))
            ).alias("wallet")
        )
        .drop("i")
    )
    parquet, csv = folder / "book.parquet", folder / "book.csv"
    frame.write_parquet(parquet)
    frame.write_csv(csv)
    return parquet, csv


def main(argv: list[str]) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m mamori.bench reconcile")
    parser.add_argument("--addresses", type=int, default=100_000)
    parser.add_argument("--book-rows", type=int, default=10_000_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    options = parser.parse_args(argv)
    n = options.addresses
    addresses = make_addresses(n, "bench")
    with running_anvil("--gas-limit", "1000000000") as node:
        started = time.perf_counter()
        token = _fund(node, addresses)
        print(f"funded {n} addresses in {time.perf_counter() - started:.1f} s", flush=True)
        adapter = chains.EvmAdapter(chains.JsonRpc(chains.RpcSettings(node.url)))
        block = adapter.pin()
        holdings = [chains.Holding(a, "ETH") for a in addresses]
        holdings += [chains.Holding(a, "TT", token) for a in addresses]
        batched_s, ours = _batched(node.url, block, holdings, options.batch_size)
        print(f"batched: {n} addresses in {batched_s:.2f} s", flush=True)
        naive_s, theirs = _naive(node.url, block, holdings)
        print(f"naive: {n} addresses in {naive_s:.2f} s", flush=True)
    if ours != theirs or None in ours:
        raise SystemExit("the batched and naive reads disagree")
    with tempfile.TemporaryDirectory() as folder:
        parquet, csv = _book(options.book_rows, Path(folder))
        assets = ["BTC", "ETH", "USDC"]
        reconcile.read_book(parquet, WALLETS, assets)  # warm-up: thread pool, page cache
        started = time.perf_counter()
        book = reconcile.read_book(parquet, WALLETS, assets)
        book_s = time.perf_counter() - started
        started = time.perf_counter()
        same = reconcile.read_book(csv, WALLETS, assets)
        csv_s = time.perf_counter() - started
        if same.totals != book.totals or book.rows != options.book_rows:
            raise SystemExit("the CSV and Parquet books disagree")
    result = {
        "bench": "reconcile",
        "addresses": n,
        "batched_addresses_per_s": round(n / batched_s),
        "naive_addresses_per_s": round(n / naive_s),
        "ratio": round(naive_s / batched_s, 1),
        "batch_size": options.batch_size,
        "book_rows": options.book_rows,
        "book_seconds": round(book_s, 2),
        "book_csv_seconds": round(csv_s, 2),
    }
    print(json.dumps(result))
    return 0
