"""The witness's decisions (c2sp.org/tlog-witness ``add-checkpoint``), independent of HTTP.

For each log it knows (origin → the log's verifier key) the witness keeps the last checkpoint
it cosigned and cosigns a new one only if a consistency proof from that checkpoint verifies.
Answers follow the protocol: 200 with the cosignature line, 400 malformed, 403 no valid
signature by the log's key, 404 unknown log, 409 the client's old size is not the witness's
(the body gives the witness's size), 422 the proof does not verify.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from mamori.engines.merkle.checkpoint import CheckpointError, parse_checkpoint
from mamori.engines.merkle.cosignature import CosignerKey
from mamori.engines.merkle.hashing import EMPTY_ROOT
from mamori.engines.merkle.verify import ProofError, verify_consistency
from mamori.engines.witness.protocol import (
    AddCheckpoint,
    BadRequest,
    parse_add_checkpoint,
    parse_body,
)
from mamori.engines.witness.state import Remembered, StateError, StateFile

__all__ = ["Answer", "Witness", "origin_hash"]

log = logging.getLogger("mamori.witness")
TEXT = "text/plain; charset=utf-8"
SIZE = "text/x.tlog.size"


def origin_hash(origin: str) -> str:
    """Return the lowercase hex SHA-256 of a log's origin (the monitoring path element)."""
    return hashlib.sha256(origin.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, body, content type."""

    status: int
    body: bytes
    content_type: str = TEXT

    @classmethod
    def text(cls, status: int, message: str) -> Answer:
        """Return a plain-text answer of one line."""
        return cls(status, (message + "\n").encode("utf-8"))


class Witness:
    """Cosign checkpoints of the logs in ``logs`` (origin → verifier key) with ``key``, keeping
    one state file per log under ``state_dir``."""

    def __init__(
        self,
        key: CosignerKey,
        logs: Mapping[str, str],
        state_dir: Path,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.key = key
        self.logs = dict(logs)
        self.state_dir = Path(state_dir)
        self.clock = clock

    def state(self, origin: str) -> StateFile:
        """Return the state file of the log ``origin``."""
        return StateFile(self.state_dir / f"{origin_hash(origin)}.json")

    def add_checkpoint(self, body: bytes) -> Answer:
        """Decide one ``add-checkpoint`` request."""
        try:
            request = parse_add_checkpoint(body)
            origin, size, root = parse_body(request.note)
        except BadRequest as exc:
            return Answer.text(400, str(exc))
        verifier = self.logs.get(origin)
        if verifier is None:
            return Answer.text(404, f"unknown log {origin!r}")
        try:
            parse_checkpoint(request.note, verifier)
        except CheckpointError as exc:
            return Answer.text(403, f"no valid signature by the log's key: {exc}")
        if request.old_size > size:
            return Answer.text(400, f"old size {request.old_size} is beyond the checkpoint {size}")
        if size == 0 and root != EMPTY_ROOT:
            return Answer.text(422, "a checkpoint of size 0 must have the empty tree's root")
        state = self.state(origin)
        try:
            with state.locked():
                return self._decide(state, origin, size, root, request)
        except StateError as exc:
            log.error("witness state: %s", exc)
            return Answer.text(500, "the witness cannot keep its state")

    def _decide(
        self, state: StateFile, origin: str, size: int, root: bytes, request: AddCheckpoint
    ) -> Answer:
        """Check the request against the state (held locked) and cosign or refuse."""
        old = request.old_size
        last = state.read()
        current = last.size if last else 0
        if old != current:
            return Answer(409, f"{current}\n".encode("ascii"), SIZE)
        try:
            if old == 0:
                if request.proof:
                    raise ProofError("a proof from size 0 must be empty")
            else:
                assert last is not None
                verify_consistency(old, size, last.root, root, request.proof)
        except ProofError as exc:
            self._keep_refused(origin, request.note, str(exc))
            return Answer.text(422, f"not consistent with checkpoint {old}: {exc}")
        timestamp = int(self.clock())
        line = self.key.cosign(request.note.partition("\n\n")[0] + "\n", timestamp)
        state.write(Remembered(origin, size, root, _with_line(request.note, line)))
        log.info("cosigned %s at size %s", origin, size)
        return Answer(200, line.encode("utf-8"))

    def _keep_refused(self, origin: str, note: str, reason: str) -> None:
        """Keep a validly signed checkpoint that was refused: evidence the log misbehaved."""
        log.warning("refused a checkpoint of %s: %s", origin, reason)
        folder = self.state_dir / "refused"
        try:
            folder.mkdir(exist_ok=True, mode=0o700)
            stamp = f"{origin_hash(origin)[:16]}-{time.time_ns()}.note"
            (folder / stamp).write_text(f"{note}", encoding="utf-8")
        except OSError as exc:
            log.error("cannot keep the refused checkpoint: %s", exc)

    def checkpoint(self, hashed_origin: str) -> Answer:
        """Return the last cosigned checkpoint of the log whose origin hashes to
        ``hashed_origin``, with the log's signature and this witness's cosignature."""
        for origin in self.logs:
            if hmac.compare_digest(
                origin_hash(origin).encode(), hashed_origin.lower().encode("utf-8", "replace")
            ):
                try:
                    last = self.state(origin).read()
                except StateError as exc:
                    log.error("witness state: %s", exc)
                    return Answer.text(500, "the witness cannot read its state")
                if last is None:
                    break
                return Answer(200, last.note.encode("utf-8"))
        return Answer.text(404, "this witness has cosigned no checkpoint of that log")


def _with_line(note: str, line: str) -> str:
    """Return ``note`` with a signature line added (replacing an older line by the same key)."""
    name = line.split(" ", 2)[1]
    kept = [
        existing
        for existing in note.partition("\n\n")[2].splitlines()
        if existing and existing.split(" ", 2)[1:2] != [name]
    ]
    return note.partition("\n\n")[0] + "\n\n" + "".join(f"{x}\n" for x in [*kept, line.strip()])
