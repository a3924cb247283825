"""The last checkpoint a signer or witness vouched for, kept in a file of its own.

Reads and writes happen under an exclusive lock on a sibling ``.lock`` file (``flock``), so
checking a new checkpoint against the state and recording it are one step for every thread
and process sharing the file. A write goes to a temporary file that is synced and renamed
over the old one: a crash leaves the old state or the new one, never half of either.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Remembered", "StateError", "StateFile"]


class StateError(RuntimeError):
    """The state file cannot be read or written; nothing may be signed until it can."""


@dataclass(frozen=True)
class Remembered:
    """A checkpoint vouched for: the log's origin, the tree size and root, the note as sent."""

    origin: str
    size: int
    root: bytes
    note: str


class StateFile:
    """One log's remembered checkpoint at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the exclusive lock of the state for the block."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(
                self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600
            )
        except OSError as exc:
            raise StateError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def read(self) -> Remembered | None:
        """Return the remembered checkpoint, or None if nothing was ever recorded."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        try:
            data = json.loads(raw)
            return Remembered(
                str(data["origin"]),
                int(data["size"]),
                base64.b64decode(data["root"], validate=True),
                str(data["note"]),
            )
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise StateError(f"{self.path} is not a state file: refusing to guess") from None

    def write(self, value: Remembered) -> None:
        """Replace the remembered checkpoint with ``value``, durably."""
        data = {
            "origin": value.origin,
            "size": value.size,
            "root": base64.b64encode(value.root).decode("ascii"),
            "note": value.note,
        }
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(json.dumps(data, sort_keys=True).encode("utf-8") + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError as exc:
            raise StateError(f"cannot write {self.path}: {exc.strerror or exc}") from None
