"""Real peers for tests: an SMTP server (aiosmtpd), an HTTP receiver on loopback, and the
``mamori`` command itself run in a data directory."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mamori_in(data_dir: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Run ``mamori ARGS --data-dir DATA_DIR`` as a new process would (no inherited MAMORI_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAMORI_")}
    return subprocess.run(
        [sys.executable, "-m", "mamori", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=True,
    )


@dataclass
class Mailbox:
    """What the SMTP server accepted; ``refuse`` makes it answer 550 to every recipient."""

    messages: list[Message] = field(default_factory=list)
    refuse: bool = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.7.1 relaying refused"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 Message accepted"


@contextmanager
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    """Run an aiosmtpd server on 127.0.0.1 and yield its port and mailbox."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


@dataclass
class Received:
    """Requests an HTTP receiver got; ``status`` is what it answers."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


@contextmanager
def http_receiver() -> Iterator[tuple[str, Received]]:
    """Run an HTTP server on 127.0.0.1 recording POSTs; yield its base URL and record."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.requests.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": body,
                    "json": json.loads(body or b"null"),
                }
            )
            self.send_response(received.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
