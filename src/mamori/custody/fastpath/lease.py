"""One leading custody decider at a time (ISM 27-2, 27-3: every withdrawal check decided in one
place, in order), the others standing by to take over.

The lease is a lock that is freed when its holder dies, however it dies:

- on PostgreSQL, a session advisory lock taken on the very connection the decider decides on.
  A decision commits only on that connection, so it commits only while the lock is held: a
  decider cut off from the database (its connection lost, then reopened) holds no lease on the
  new connection and decides nothing until it has won the lease again — the fencing is the
  database's own. kill -9 of the leader closes its connection; the server ends the session and
  frees the lock at once, and a standby polling for it takes it within its poll interval.
- on SQLite (one machine, the embedded database), an exclusive ``flock`` on a file of the data
  directory, freed by the kernel when the process dies.

Each takeover counts the lease's term up in :class:`~mamori.custody.models.DeciderLease` (who,
where it listens, since when), and every journal record the leader writes carries its term:
two leaders at once would show in the journal as terms out of order.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path
from typing import Protocol

from django.db import connections, transaction
from django.utils import timezone

__all__ = ["DatabaseLease", "FileLease", "Lease", "for_database"]

#: The advisory lock of the leader ("mamori_l"); the monitor's own lock is another key.
LEADER_KEY = 0x6D616D6F72695F6C
NAME = "custody"


class Lease(Protocol):
    """The lease of the leading decider."""

    def try_acquire(self) -> int | None:
        """Take the lease if it is free; return the new term, or None if another holds it."""

    def held(self) -> bool:
        """Return whether this process holds the lease on the connection it would use now."""

    def release(self) -> None:
        """Give the lease up (a stopping decider)."""


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _next_term(address: str) -> int:
    """Count the term up and say who holds it (only the lease's holder writes the row)."""
    from mamori.auditlog.context import acting
    from mamori.custody.models import DeciderLease

    with acting("system:custody-decider"), transaction.atomic():
        lease, _ = DeciderLease.objects.select_for_update().get_or_create(
            name=NAME, defaults={"holder": _holder(), "since": timezone.now()}
        )
        lease.term += 1
        lease.holder, lease.address, lease.since = _holder(), address, timezone.now()
        lease.save()
    return int(lease.term)


class DatabaseLease:
    """PostgreSQL: a session advisory lock on the decider's own connection."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.session: object | None = None  # the driver connection that holds the lock

    def try_acquire(self) -> int | None:
        """Take the lock if free (never waits); count the term up."""
        db = connections["default"]
        db.ensure_connection()
        with db.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LEADER_KEY])
            (taken,) = cursor.fetchone()
        if not taken:
            return None
        self.session = db.connection
        try:
            return _next_term(self.address)
        except Exception:
            self.release()
            raise

    def held(self) -> bool:
        """True while Django's connection is still the session that took the lock (a closed or
        reopened connection holds nothing)."""
        return self.session is not None and connections["default"].connection is self.session

    def release(self) -> None:
        """Unlock, if the session is still there."""
        if self.held():
            try:
                with connections["default"].cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [LEADER_KEY])
            except Exception:  # the session is gone, and the lock with it
                connections["default"].close()
        self.session = None


class FileLease:
    """SQLite: an exclusive lock on ``custody-decider.lock`` in the data directory."""

    def __init__(self, path: Path, address: str) -> None:
        self.path = path
        self.address = address
        self.fd: int | None = None

    def try_acquire(self) -> int | None:
        """Take the lock if free (never waits); count the term up."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        self.fd = fd
        try:
            return _next_term(self.address)
        except Exception:
            self.release()
            raise

    def held(self) -> bool:
        """True once taken, until released (the kernel frees it only when the process dies)."""
        return self.fd is not None

    def release(self) -> None:
        """Unlock."""
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor frees the lock
            self.fd = None


def for_database(address: str) -> Lease:
    """Return the lease the configured database supports."""
    from django.conf import settings

    if connections["default"].vendor == "postgresql":
        return DatabaseLease(address)
    return FileLease(settings.CONFIG.data_dir / "custody-decider.lock", address)
