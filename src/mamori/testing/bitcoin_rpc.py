"""A loopback JSON-RPC server answering in Bitcoin Core's documented format, for tests and
the demo (Bitcoin Core is not a registry package; see docs/development.md).

Method shapes follow the Bitcoin Core 29.0 RPC reference (bitcoincore.org/en/doc/29.0.0/rpc/):
``getblockchaininfo`` (``chain``, ``blocks``, ``headers``, ``bestblockhash``), ``getblockhash``
(hex hash; error -8 "Block height out of range"), ``validateaddress`` (``isvalid``, ``address``,
``scriptPubKey``; ``error`` when invalid) and ``scantxoutset "start"`` (``success``, ``txouts``,
``height``, ``bestblock``, ``unspents`` of ``txid``/``vout``/``scriptPubKey``/``desc``/
``amount``/``coinbase``/``height``, ``total_amount``), amounts as JSON numbers in BTC. The
UTXO set is held in memory; hashes and scripts are derived, not real. It is a *fixture*:
it does not validate addresses the way Bitcoin Core does (only their character set).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["BitcoinCoreFixture", "running_bitcoin_fixture"]

_BECH32 = re.compile(r"^(bc1|tb1|bcrt1)[02-9ac-hj-np-z]{8,87}$")
_BASE58 = re.compile(r"^[123mn][1-9A-HJ-NP-Za-km-z]{24,34}$")


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class BitcoinCoreFixture:
    """The node's state: tip height, UTXOs per address, and fault switches for tests."""

    def __init__(self, height: int = 870_000) -> None:
        self.height = height
        self.utxos: dict[str, list[Decimal]] = {}
        self.fault = ""  # "" | "garbage" | "slow" | "http500"
        self.before_scan: Callable[[], None] | None = None  # e.g. a block arrives first
        self.credentials: tuple[str, str] | None = None
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def block_hash(self, height: int) -> str:
        """Return the (derived) hash of the block at ``height``."""
        return _hash(f"block:{height}")

    def mine(self, blocks: int = 1) -> None:
        """Advance the tip."""
        with self._lock:
            self.height += blocks

    def script(self, address: str) -> str:
        """Return the derived scriptPubKey of ``address``."""
        return "0014" + _hash(f"script:{address}")[:40]

    def _valid(self, address: str) -> bool:
        return bool(_BECH32.match(address) or _BASE58.match(address))

    def answer(self, method: str, params: list[Any]) -> Any:
        """Return the result of ``method`` or raise ``ValueError(code, message)``."""
        self.calls.append(method)
        if method == "getblockchaininfo":
            return {
                "chain": "main",
                "blocks": self.height,
                "headers": self.height,
                "bestblockhash": self.block_hash(self.height),
                "verificationprogress": Decimal("0.9999991"),
                "pruned": False,
            }
        if method == "getblockhash":
            if not params or not isinstance(params[0], int) or not 0 <= params[0] <= self.height:
                raise ValueError(-8, "Block height out of range")
            return self.block_hash(params[0])
        if method == "validateaddress":
            address = str(params[0])
            if not self._valid(address):
                return {
                    "isvalid": False,
                    "error_locations": [],
                    "error": "Invalid or unsupported Segwit (Bech32) or Base58 encoding.",
                }
            return {
                "isvalid": True,
                "address": address,
                "scriptPubKey": self.script(address),
                "isscript": False,
                "iswitness": True,
            }
        if method == "scantxoutset":
            return self._scan(params)
        raise ValueError(-32601, "Method not found")

    def _scan(self, params: list[Any]) -> dict[str, Any]:
        if len(params) < 2 or params[0] != "start":
            raise ValueError(-8, "Invalid action")
        if self.before_scan is not None:
            self.before_scan()
        height = self.height
        unspents = []
        for n, item in enumerate(params[1]):
            descriptor = item["desc"] if isinstance(item, dict) else str(item)
            match = re.match(r"^addr\((.+)\)$", descriptor)
            if match is None:
                key = descriptor.split("#")[0]  # a descriptor holding is stored under itself
                address, script = key, "5120" + _hash(f"desc:{key}")[:64]
            else:
                address = match.group(1)
                script = self.script(address)
            for vout, amount in enumerate(self.utxos.get(address, [])):
                unspents.append(
                    {
                        "txid": _hash(f"tx:{address}:{vout}"),
                        "vout": vout,
                        "scriptPubKey": script,
                        "desc": f"addr({address})#{_hash(address)[:8]}",
                        "amount": amount,
                        "coinbase": False,
                        "height": height - 6 - n,
                    }
                )
        return {
            "success": True,
            "txouts": 180_000_000,
            "height": height,
            "bestblock": self.block_hash(height),
            "unspents": unspents,
            "total_amount": sum((Decimal(str(u["amount"])) for u in unspents), Decimal(0)),
        }


def _dumps(value: Any) -> bytes:
    def default(item: Any) -> str:
        if isinstance(item, Decimal):
            return f"@@{item:f}@@"
        raise TypeError(type(item))

    text = json.dumps(value, default=default)
    return re.sub(r'"@@(-?[0-9.]+)@@"', r"\1", text).encode()


@contextmanager
def running_bitcoin_fixture(
    node: BitcoinCoreFixture | None = None,
) -> Iterator[tuple[str, BitcoinCoreFixture]]:
    """Serve ``node`` on a free loopback port; yield its URL and the node."""
    served = node or BitcoinCoreFixture()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if served.credentials is not None:
                expected = base64.b64encode(":".join(served.credentials).encode()).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    self.send_response(401)
                    self.end_headers()
                    return
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if served.fault == "slow":
                time.sleep(2)
            if served.fault == "garbage":
                self._send(200, b"<html>502 Bad Gateway</html>")
                return
            if served.fault == "http500":
                self._send(500, b"")
                return
            request = json.loads(body, parse_float=Decimal)
            batch = request if isinstance(request, list) else [request]
            answers = []
            for call in batch:
                try:
                    result = served.answer(call["method"], call.get("params", []))
                    answers.append({"result": result, "error": None, "id": call["id"]})
                except ValueError as exc:
                    code, message = exc.args
                    answers.append(
                        {
                            "result": None,
                            "error": {"code": code, "message": message},
                            "id": call["id"],
                        }
                    )
            self._send(200, _dumps(answers if isinstance(request, list) else answers[0]))

        def _send(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()
