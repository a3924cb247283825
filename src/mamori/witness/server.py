"""The witness's HTTP face (c2sp.org/tlog-witness): ``POST <prefix>/add-checkpoint`` and
``GET <prefix>/<origin hash>/checkpoint``, on the standard library's threading server."""

from __future__ import annotations

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from mamori.engines.witness import Answer, Witness

__all__ = ["MAX_BODY", "WitnessServer", "make_server"]

log = logging.getLogger("mamori.witness")
#: 63 proof lines and a checkpoint with a few signatures fit well within this.
MAX_BODY = 64 * 1024


class WitnessServer(ThreadingHTTPServer):
    """A threading HTTP server holding the witness and the URL prefix it answers under."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], witness: Witness, prefix: str = "") -> None:
        super().__init__(address, _Handler)
        self.witness = witness
        self.prefix = prefix.rstrip("/")


class _Handler(BaseHTTPRequestHandler):
    server: WitnessServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the protocol recommends
    server_version = "mamori-witness"

    def _answer(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def _path(self) -> str | None:
        path = self.path.split("?", 1)[0]
        if not path.startswith(self.server.prefix + "/"):
            return None
        return path[len(self.server.prefix) :]

    def do_POST(self) -> None:
        """Decide an add-checkpoint request."""
        if self._path() != "/add-checkpoint":
            self._answer(Answer.text(404, "not found"))
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._answer(Answer.text(411, "a Content-Length is required"))
            return
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            self._answer(Answer.text(413, f"the body is limited to {MAX_BODY} bytes"))
            return
        self._answer(self.server.witness.add_checkpoint(self.rfile.read(length)))

    def do_GET(self) -> None:
        """Serve the last cosigned checkpoint of a log."""
        path = self._path() or ""
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[1] == "checkpoint":
            self._answer(self.server.witness.checkpoint(parts[0]))
        else:
            self._answer(Answer.text(404, "not found"))

    def log_message(self, format: str, *args: object) -> None:
        log.info("%s %s", self.address_string(), format % args)


def make_server(witness: Witness, host: str, port: int, prefix: str = "") -> WitnessServer:
    """Return a server for ``witness`` bound to ``host``:``port`` (0: any free port)."""
    return WitnessServer((host, port), witness, prefix)
