"""An open-loop HTTP load generator for the benchmarks: ``python -m mamori.bench.load``.

Request *i* is due at ``start + i / rate`` whatever happened to the earlier ones, and its
latency runs from that moment to the last byte of its answer — a server that falls behind
cannot hide it by slowing the client down (no coordinated omission). Requests go over a pool of
kept-alive HTTP/1.1 connections, one request at a time each; when every connection is busy, a
due request waits for one, and that wait counts. It runs in a process of its own, so its work
never shares an interpreter lock with what it measures. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
from typing import Any

__all__ = ["main", "run"]


async def _request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def run(
    host: str, port: int, path: str, token: str, rate: float, seconds: float, first: int
) -> dict[str, Any]:
    """Send ``rate`` requests a second for ``seconds``; return the figures."""
    connections = max(8, min(256, int(rate // 20)))
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await asyncio.open_connection(host, port))
    latencies: list[float] = []
    failures: list[str] = []
    total = int(rate * seconds)

    def request_bytes(n: int) -> bytes:
        body = json.dumps(
            {
                "request_id": f"load-{first}-{n}",
                "customer": f"c{(n * 7919) % 100_000}",
                "asset": "TST",
                "amount": str(1 + n % 1000),
                "address": "tst-destination",
            }
        ).encode()
        return (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    async def one(n: int, due: float) -> None:
        connection = await idle.get()
        try:
            status, answer = await _request(*connection, request_bytes(n))
            if status != 200 or b'"action"' not in answer:
                failures.append(f"{status} {answer[:120]!r}")
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            failures.append(repr(exc))
            connection = await asyncio.open_connection(host, port)
        finally:
            idle.put_nowait(connection)
        latencies.append(time.perf_counter() - due)

    tasks = []
    start = time.perf_counter() + 0.05
    for n in range(total):
        due = start + n / rate
        pause = due - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    took = time.perf_counter() - start
    while not idle.empty():
        _, writer = idle.get_nowait()
        writer.close()
    latencies.sort()

    def quantile(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1000

    return {
        "rate": rate,
        "seconds": seconds,
        "requests": len(latencies),
        "achieved": len(latencies) / took,
        "p50_ms": quantile(0.50),
        "p99_ms": quantile(0.99),
        "max_ms": latencies[-1] * 1000,
        "failures": len(failures),
        "first_failure": failures[0] if failures else None,
    }


def main(argv: list[str] | None = None) -> int:
    """Run one load step and print its figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m mamori.bench.load")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/api/custody/withdrawals/check")
    parser.add_argument("--token", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--first", type=int, default=0, help="request ids start here")
    args = parser.parse_args(argv)
    gc.freeze()
    gc.disable()  # a collection would pause the client, and its pause would count as latency
    work = run(args.host, args.port, args.path, args.token, args.rate, args.seconds, args.first)
    try:
        import uvloop

        figures = uvloop.run(work)
    except ImportError:
        figures = asyncio.run(work)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
