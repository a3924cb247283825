"""How web workers reach the custody deciders (ISM 27-2, 27-3): addresses, frames, and the
client that follows the leader.

A decider listens at an address — ``unix:/path`` (a socket only the account that runs mamori
may open) or ``tcp:host:port`` (for deciders on other machines: a private network only, as the
check carries the exchange's bearer token). Every decider listens, leader or standby; a standby
answers each check with :data:`STANDBY` and the client asks the next address. A web worker is
given every decider's address (``MAMORI_CUSTODY_DECIDER``, comma-separated); while no leader
answers — the leader died and a standby is taking the lease — it keeps asking, for up to
:data:`SWITCH_WAIT` seconds, then gives up (:class:`NoLeader`: the gateway answers 503 with
``Retry-After``). A check whose answer was lost with its leader is asked again of the next one:
a check is decided once by its request id, so the second answer is the first decision.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from contextlib import suppress
from dataclasses import dataclass

import orjson

__all__ = [
    "ANSWERED",
    "STANDBY",
    "TO_DJANGO",
    "Address",
    "Check",
    "DeciderClient",
    "NoLeader",
    "answer_frame",
    "check_of",
    "frames",
    "listen",
    "parse_addresses",
    "request_frame",
]

#: How long a check waits for a leader before the gateway answers 503.
SWITCH_WAIT = 3.0
#: Between two rounds of the addresses, while none leads.
RETRY_EVERY = 0.02

_LENGTH = struct.Struct("!I")
_NUMBER = struct.Struct("!Q")
#: What an answer frame says: Django's endpoint answers; here is the answer; ask the leader.
TO_DJANGO, ANSWERED, STANDBY = 0, 1, 2


@dataclass
class Check:
    """A withdrawal check as received: the bearer secret, the raw body, the request id the
    answer carries, and the client's address (for the audit log)."""

    secret: str
    body: bytes
    request_id: str
    ip: str | None


class NoLeader(ConnectionError):
    """No decider answered as leader within :data:`SWITCH_WAIT`."""


@dataclass(frozen=True)
class Address:
    """Where a decider listens: ``kind`` is ``unix`` or ``tcp``."""

    kind: str
    where: str
    port: int = 0

    def __str__(self) -> str:
        return f"unix:{self.where}" if self.kind == "unix" else f"tcp:{self.where}:{self.port}"


def parse_address(text: str) -> Address:
    """Parse ``unix:PATH``, ``tcp:HOST:PORT`` or a bare path (a Unix socket); ``ValueError``
    says what is wrong."""
    text = text.strip()
    if text.startswith("tcp:"):
        host, _, port = text[4:].rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{text!r}: a TCP address is tcp:HOST:PORT")
        return Address("tcp", host.strip("[]"), int(port))
    path = text.removeprefix("unix:")
    if not path:
        raise ValueError(f"{text!r}: a Unix socket address needs a path")
    if len(path) > 100:
        raise ValueError(f"{path}: longer than a Unix socket path may be")
    return Address("unix", path)


def parse_addresses(text: str) -> list[Address]:
    """Parse a comma-separated list of addresses."""
    return [parse_address(part) for part in text.split(",") if part.strip()]


def listen(address: Address) -> socket.socket:
    """Return a socket listening at ``address`` (a Unix socket readable by its owner only)."""
    if address.kind == "unix":
        from pathlib import Path

        path = Path(address.where)
        path.unlink(missing_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(path))
        path.chmod(0o600)  # only the account that runs mamori may ask
    else:
        family = socket.AF_INET6 if ":" in address.where else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((address.where, address.port))
    listener.listen(64)
    return listener


def request_frame(number: int, check: Check) -> bytes:
    """Frame a check: its number, secret, request id and client address, then the body."""
    head = orjson.dumps([number, check.secret, check.request_id, check.ip])
    payload = head + b"\x00" + check.body  # JSON never holds a raw NUL byte
    return _LENGTH.pack(len(payload)) + payload


def answer_frame(number: int, status: int, answer: bytes | None = None) -> bytes:
    """Frame the answer to check ``number``."""
    payload = _NUMBER.pack(number) + bytes([status]) + (answer or b"")
    return _LENGTH.pack(len(payload)) + payload


def frames(buffer: bytearray) -> list[bytes]:
    """Take the complete frames off the front of ``buffer``."""
    taken = []
    while len(buffer) >= _LENGTH.size:
        (size,) = _LENGTH.unpack_from(buffer)
        if len(buffer) < _LENGTH.size + size:
            break
        taken.append(bytes(buffer[_LENGTH.size : _LENGTH.size + size]))
        del buffer[: _LENGTH.size + size]
    return taken


def check_of(frame: bytes) -> tuple[int, Check]:
    """Return the number and the check a request frame carries (``ValueError`` if it is not
    one)."""
    head, _, body = frame.partition(b"\x00")
    number, secret, request_id, ip = orjson.loads(head)
    return int(number), Check(str(secret), body, str(request_id), ip)


class _Link:
    """One connection to one decider: checks sent, answers matched to them by number."""

    def __init__(self, address: Address) -> None:
        self.address = address
        self.writer: asyncio.StreamWriter | None = None
        self.waiting: dict[int, asyncio.Future[tuple[int, bytes]]] = {}
        self.number = 0
        self.connecting = asyncio.Lock()
        self.reading: asyncio.Task[None] | None = None  # kept: the loop holds tasks weakly

    async def ask(self, check: Check) -> tuple[int, bytes]:
        """Return the decider's status and answer (``ConnectionError`` if it cannot be reached
        or goes away first)."""
        writer = await self._writer()
        self.number += 1
        future: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        self.waiting[self.number] = future
        writer.write(request_frame(self.number, check))
        return await future

    async def _writer(self) -> asyncio.StreamWriter:
        async with self.connecting:
            if self.writer is None or self.writer.is_closing():
                try:
                    if self.address.kind == "unix":
                        opened = asyncio.open_unix_connection(self.address.where)
                    else:
                        opened = asyncio.open_connection(self.address.where, self.address.port)
                    reader, self.writer = await asyncio.wait_for(opened, SWITCH_WAIT)
                except (OSError, TimeoutError) as exc:
                    raise ConnectionError(f"custody decider at {self.address}: {exc}") from exc
                self.reading = asyncio.get_running_loop().create_task(self._read(reader))
            assert self.writer is not None
            return self.writer

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                (size,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
                payload = await reader.readexactly(size)
                (number,) = _NUMBER.unpack_from(payload)
                future = self.waiting.pop(number, None)
                if future is not None and not future.done():
                    future.set_result((payload[_NUMBER.size], payload[_NUMBER.size + 1 :]))
        except (OSError, asyncio.IncompleteReadError) as exc:
            lost = ConnectionError(f"custody decider at {self.address} went away: {exc}")
            for future in self.waiting.values():
                if not future.done():
                    future.set_exception(lost)
            self.waiting.clear()
            self.close()

    def close(self) -> None:
        """Close the connection (nothing to do if its event loop is already gone)."""
        if self.writer is not None:
            with suppress(RuntimeError):  # its loop has closed, and the connection with it
                self.writer.close()
            self.writer = None


class DeciderClient:
    """A web worker's link to the deciders: each check goes to the one that led last; a standby's
    answer or a lost connection sends it to the next, until one leads or :data:`SWITCH_WAIT`
    has passed (:class:`NoLeader`)."""

    def __init__(self, addresses: list[Address], wait: float | None = None) -> None:
        if not addresses:
            raise ValueError("no decider address")
        self.links = [_Link(address) for address in addresses]
        self.leader = 0
        self.wait = SWITCH_WAIT if wait is None else wait

    async def decide(self, check: Check) -> bytes | None:
        """Return the leader's answer to ``check`` (None: Django's endpoint answers)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait
        problems: list[str] = []
        while True:
            for offset in range(len(self.links)):
                index = (self.leader + offset) % len(self.links)
                left = max(deadline - loop.time(), RETRY_EVERY)
                try:
                    status, answer = await asyncio.wait_for(self.links[index].ask(check), left)
                except ConnectionError as exc:
                    problems.append(str(exc))
                    continue
                except TimeoutError:  # a leader that does not answer: decided or not, later
                    problems.append(f"custody decider at {self.links[index].address} is silent")
                    continue
                if status == STANDBY:
                    problems.append(f"custody decider at {self.links[index].address} stands by")
                    continue
                self.leader = index
                return answer if status == ANSWERED else None
            if loop.time() >= deadline:
                raise NoLeader("; ".join(problems[-len(self.links) :]))
            await asyncio.sleep(RETRY_EVERY)

    def stop(self) -> None:
        """Close every connection."""
        for link in self.links:
            link.close()
