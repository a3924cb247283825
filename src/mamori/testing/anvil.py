"""A real local Ethereum node for tests and benchmarks: anvil from the npm package
``@foundry-rs/anvil``, and the test contracts compiled from ``contracts/*.sol`` (the test
token, the Safe-like ``MiniSafe``) with the npm ``solc`` package (both pinned in the
repository's ``package.json``).

:func:`tools` installs them with ``npm install --no-save`` (the committed lock file pins
them) on first use when they are missing.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from mamori.core import children

__all__ = ["Anvil", "ToolsMissing", "compile_contracts", "make_addresses", "running_anvil", "tools"]

ROOT = Path(__file__).resolve().parents[3]
CONTRACTS = Path(__file__).resolve().parent / "contracts"
SOURCES = ("TestToken.sol", "MiniSafe.sol")


class ToolsMissing(RuntimeError):
    """anvil or solcjs is not installed and cannot be installed here."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tools() -> tuple[Path, Path]:
    """Return the paths of the anvil binary and of solcjs, installing them if needed."""
    bin_dir = ROOT / "node_modules" / ".bin"
    anvil, solcjs = bin_dir / "anvil", bin_dir / "solcjs"
    native = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
    if not (anvil.exists() and solcjs.exists()):
        if not (ROOT / "package.json").exists():
            raise ToolsMissing(f"no package.json in {ROOT}")
        npm = shutil.which("npm")
        if npm is None:
            raise ToolsMissing("npm is not installed: it installs anvil and solc")
        lock_path = Path(tempfile.gettempdir()) / "mamori-npm-ci.lock"
        with open(lock_path, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (anvil.exists() and solcjs.exists()):
                subprocess.run(  # noqa: S603 - fixed arguments
                    [npm, "install", "--no-save", "--no-audit", "--no-fund", "--ignore-scripts"],
                    cwd=ROOT,
                    check=True,
                    capture_output=True,
                )
    return (native if native.exists() else anvil), solcjs


def compile_contracts() -> dict[str, str]:
    """Return the deployment bytecode (0x-hex) of each contract in ``contracts/*.sol``,
    compiled once per content of the sources (cached in the temporary directory)."""
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update(name.encode() + b"\0" + (CONTRACTS / name).read_bytes() + b"\0")
    out = Path(tempfile.gettempdir()) / f"mamori-solc-{digest.hexdigest()[:16]}"
    if not out.exists():
        _, solcjs = tools()
        work = Path(tempfile.mkdtemp(prefix="mamori-solc-"))
        for name in SOURCES:
            shutil.copy(CONTRACTS / name, work / name)
        subprocess.run(  # noqa: S603 - fixed arguments
            [str(solcjs), "--bin", "--optimize", "-o", str(work / "out"), *SOURCES],
            cwd=work,
            check=True,
            capture_output=True,
        )
        try:
            (work / "out").rename(out)
        except OSError:  # another process compiled the same sources first
            if not out.exists():
                raise
    return {
        path.stem.rsplit("_", 1)[-1]: "0x" + path.read_text().strip() for path in out.glob("*.bin")
    }


def make_addresses(count: int, seed: str = "mamori") -> list[str]:
    """Return ``count`` distinct checksummed addresses derived from ``seed``."""
    return [to_checksum_address(keccak(text=f"{seed}:{n}")[-20:]) for n in range(count)]


@dataclass
class Anvil:
    """A running anvil node and a JSON-RPC helper for setting it up."""

    url: str
    process: subprocess.Popen[bytes]
    client: httpx.Client

    def rpc(self, method: str, params: Sequence[Any] = ()) -> Any:
        """Call ``method``; raise on an error answer."""
        answer = self.client.post(
            self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
        ).json()
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Send ``calls`` as one batch; raise on any error answer."""
        body = [
            {"jsonrpc": "2.0", "id": n, "method": m, "params": list(p)}
            for n, (m, p) in enumerate(calls)
        ]
        answers = self.client.post(self.url, json=body).json()
        errors = [a["error"] for a in answers if "error" in a]
        if errors:
            raise RuntimeError(f"batch failed: {errors[:3]}")
        return [a["result"] for a in sorted(answers, key=lambda a: a["id"])]

    @property
    def owner(self) -> str:
        """Return the first dev account (funded, unlocked)."""
        return str(self.rpc("eth_accounts")[0])

    def send(self, to: str | None, data: str, value: int = 0) -> dict[str, Any]:
        """Send a transaction from the owner and return its receipt (anvil mines at once)."""
        tx: dict[str, Any] = {"from": self.owner, "data": data, "value": hex(value)}
        if to is not None:
            tx["to"] = to
        tx_hash = self.rpc("eth_sendTransaction", [tx])
        deadline = time.monotonic() + 10
        receipt: dict[str, Any] | None = None
        while receipt is None and time.monotonic() < deadline:
            receipt = self.rpc("eth_getTransactionReceipt", [tx_hash])
            if receipt is None:
                time.sleep(0.01)
        if receipt is None or receipt.get("status") != "0x1":
            raise RuntimeError(f"transaction {tx_hash} failed: {receipt}")
        return receipt

    def deploy(self, name: str, arguments: bytes = b"", value: int = 0) -> str:
        """Deploy contract ``name`` of ``contracts/*.sol`` (``arguments``: its ABI-encoded
        constructor arguments); return its checksummed address."""
        receipt = self.send(None, compile_contracts()[name] + arguments.hex(), value)
        return to_checksum_address(receipt["contractAddress"])

    def set_balances(self, addresses: Sequence[str], amounts: Sequence[int]) -> None:
        """Give each address its native balance (``anvil_setBalance``), in batches."""
        calls = [("anvil_setBalance", [a, hex(v)]) for a, v in zip(addresses, amounts, strict=True)]
        for start in range(0, len(calls), 2000):
            self.batch(calls[start : start + 2000])

    def mint(self, token: str, addresses: Sequence[str], amounts: Sequence[int]) -> None:
        """Mint the test token to each address with ``mintMany`` transactions."""
        selector = keccak(text="mintMany(address[],uint256[])")[:4].hex()
        step = 400
        for start in range(0, len(addresses), step):
            chunk = list(addresses[start : start + step])
            values = list(amounts[start : start + step])
            n = len(chunk)
            words = [0x40, 0x40 + 32 * (n + 1), n, *(int(a, 16) for a in chunk), n, *values]
            data = "0x" + selector + "".join(f"{w:064x}" for w in words)
            self.send(token, data)

    def transfer(self, token: str, to: str, amount: int) -> None:
        """Send ``amount`` of the test token from the owner to ``to``."""
        selector = keccak(text="transfer(address,uint256)")[:4].hex()
        self.send(token, "0x" + selector + f"{int(to, 16):064x}{amount:064x}")


@contextmanager
def running_anvil(*extra: str) -> Iterator[Anvil]:
    """Start anvil on a free loopback port (gas free, so balances move by exactly what is
    sent); stop it afterwards."""
    binary, _ = tools()
    port = _free_port()
    process = children.popen(  # ends with this process, however it ends
        [
            str(binary),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--accounts",
            "2",
            "--base-fee",
            "0",
            "--gas-price",
            "0",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
    )
    client = httpx.Client(timeout=60)
    node = Anvil(f"http://127.0.0.1:{port}", process, client)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                node.rpc("eth_chainId")
                break
            except (httpx.HTTPError, json.JSONDecodeError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("anvil did not start") from None
                time.sleep(0.05)
        yield node
    finally:
        client.close()
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
