"""``mamori witness keygen|key|serve``: run a witness for mamori's audit log elsewhere.

``keygen`` writes a new cosigning key (mode 0600) and prints its verifier key, ``key`` prints
the verifier key of a key file, ``serve`` answers the tlog-witness protocol. No Django and no
database: run it on a machine the operators of mamori do not control.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import stat
import sys
from pathlib import Path

from mamori.engines.merkle import CheckpointError
from mamori.engines.merkle.checkpoint import _parse_verifier
from mamori.engines.merkle.cosignature import CosignerKey
from mamori.engines.witness import Witness

__all__ = ["main"]


def _load_key(path: Path) -> CosignerKey:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ValueError(f"{path} must be readable by its owner only (mode 0600), got {mode:04o}")
    return CosignerKey.from_private_text(path.read_text(encoding="ascii"))


def _logs(verifiers: list[str]) -> dict[str, str]:
    """Return origin → verifier key: a mamori log's origin is its key's name."""
    logs = {}
    for verifier in verifiers:
        try:
            name, _, _ = _parse_verifier(verifier)
        except CheckpointError as exc:
            raise ValueError(f"--log {verifier[:40]}…: {exc}") from None
        logs[name] = verifier.strip()
    return logs


def _stop(*_: object) -> None:
    raise SystemExit(0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mamori witness", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    keygen = sub.add_parser("keygen", help="write a new cosigning key file")
    keygen.add_argument("--name", required=True, help="the witness's name, e.g. witness.example/w1")
    keygen.add_argument("--key", type=Path, required=True, help="the key file to create")
    key = sub.add_parser("key", help="print the verifier key of a key file")
    key.add_argument("--key", type=Path, required=True)
    serve = sub.add_parser("serve", help="answer add-checkpoint requests")
    serve.add_argument("--key", type=Path, required=True, help="the witness's key file")
    serve.add_argument("--state", type=Path, required=True, help="directory of the witness state")
    serve.add_argument(
        "--log",
        action="append",
        required=True,
        help="verifier key of a log to witness (mamori log key); repeat for several",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7380)
    serve.add_argument("--prefix", default="", help="URL prefix, e.g. /witness")
    return parser


def main(argv: list[str]) -> int:
    """Run ``mamori witness`` with ``argv``; return the exit status."""
    options = _parser().parse_args(argv)
    try:
        if options.action == "keygen":
            key = CosignerKey.generate(options.name)
            fd = os.open(options.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(key.private_text() + "\n")
            print(key.verifier())
            return 0
        key = _load_key(options.key)
        if options.action == "key":
            print(key.verifier())
            return 0
        witness = Witness(key, _logs(options.log), options.state)
    except (OSError, ValueError) as exc:
        print(f"mamori witness: {exc}", file=sys.stderr)
        return 2
    from mamori.witness.server import make_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = make_server(witness, options.host, options.port, options.prefix)
    signal.signal(signal.SIGTERM, _stop)
    host, port = server.server_address[:2]
    print(f"witness {key.name} listening on http://{host!s}:{port}{options.prefix}", flush=True)
    print(f"verifier key: {key.verifier()}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0
