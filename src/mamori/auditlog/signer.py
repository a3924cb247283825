"""The signer never forks the log: it signs a tree head only after proving, in the signer, that
the tree extends the last checkpoint it signed (RFC 6962 consistency proof, ISM 23-1-2).

What the signer last signed is remembered in a state file outside the database
(``MAMORI_SIGNER_STATE``, next to the key rather than in the data directory), so whoever can
rewrite the database cannot make the signer forget: a log rewritten from some entry on, cut
short, or grown differently in a copy is refused even if its later checkpoints were deleted
too. The last checkpoint stored in the database is checked as well (its signature verified),
which is all there is when no state file is configured.

A refusal stops signing, alerts the CISO and the internal auditors at once, and raises
:class:`SignerRefused` naming the size and the two roots.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings

from mamori.engines import merkle
from mamori.engines.merkle.guard import Divergence, check_extends
from mamori.engines.witness import Remembered, StateError, StateFile

__all__ = ["ALERT_TOPIC", "Guard", "SignerRefused", "guard", "remembered", "state_file"]

log = logging.getLogger("mamori.auditlog")
ALERT_TOPIC = "auditlog.signer_refused"
#: A standing divergence is told once in this period (the job retries every few seconds).
ALERT_EVERY = timedelta(hours=1)


class SignerRefused(RuntimeError):
    """The signer refused to sign: the log does not extend what it signed before."""


def state_file() -> StateFile | None:
    """Return the signer's state file, if one is configured."""
    path = settings.CONFIG.signer_state
    return StateFile(path) if path else None


def remembered() -> Remembered | None:
    """Return the checkpoint the signer remembers signing last (None if it keeps no state)."""
    state = state_file()
    return state.read() if state else None


class Guard:
    """The check between the tree head and the signature, with the state file held locked."""

    def __init__(self, state: StateFile | None) -> None:
        self.state = state

    def check(
        self,
        reader: merkle.NodeReader,
        origin: str,
        size: int,
        root: bytes,
        last_note: str | None,
        verifier: str,
    ) -> None:
        """Raise :class:`Divergence` unless (``size``, ``root``) extends the remembered
        checkpoint and the last one stored (``last_note``)."""
        anchors: dict[int, merkle.Checkpoint] = {}
        if self.state is not None:
            kept = self.state.read()
            if kept is not None:
                if kept.origin != origin:
                    raise StateError(
                        f"{self.state.path} remembers the log {kept.origin}, this log is {origin}"
                    )
                anchors[kept.size] = merkle.Checkpoint(kept.origin, kept.size, kept.root)
        if last_note:
            try:
                stored = merkle.parse_checkpoint(last_note, verifier)
            except merkle.CheckpointError:
                stored = None  # not this key's signature: verification reports it
            if stored is not None:
                known = anchors.setdefault(stored.size, stored)
                if known.root != stored.root:
                    raise Divergence(stored.size, known.root, stored.root, "two signed roots")
        for anchor in sorted(anchors.values(), key=lambda c: c.size):
            if size < anchor.size:
                check_extends(anchor, size, root, [])
            try:
                proof = merkle.consistency_proof(reader, anchor.size, size)
                found = merkle.root_at(reader, anchor.size)
            except KeyError as exc:
                raise Divergence(anchor.size, anchor.root, None, str(exc)) from None
            check_extends(anchor, size, root, proof, found)

    def remember(self, origin: str, size: int, root: bytes, note: str) -> None:
        """Record a checkpoint just signed (before it is stored anywhere else)."""
        if self.state is not None:
            self.state.write(Remembered(origin, size, root, note))


@contextmanager
def guard() -> Iterator[Guard]:
    """Hold the signer's state for one signing; turn a divergence into an alert and
    :class:`SignerRefused` (after the block's transaction has rolled back)."""
    state = state_file()
    try:
        if state is None:
            yield Guard(None)
        else:
            with state.locked():
                yield Guard(state)
    except Divergence as exc:
        log.critical("audit log signer refused: %s", exc)
        _alert(exc)
        raise SignerRefused(f"refused to sign: {exc}") from exc
    except StateError as exc:
        log.critical("audit log signer refused: %s", exc)
        raise SignerRefused(f"refused to sign: {exc}") from exc


def _alert(exc: Divergence) -> None:
    """Tell the CISO and the internal auditors (then the system general manager)."""
    from mamori.notifications.services import Recipient, notified_within, notify

    if notified_within(ALERT_TOPIC, ALERT_EVERY):
        return
    found = exc.found.hex() if exc.found else "—"
    details: dict[str, Any] = {"size": exc.size, "signed": exc.signed.hex(), "found": found}
    try:
        notify(
            ALERT_TOPIC,
            "critical",
            (
                f"監査ログの署名を停止しました: チェックポイント {exc.size} と一致しません",
                f"Audit log signing stopped: the log does not extend checkpoint {exc.size}",
            ),
            (
                f"署名済みのルート {details['signed']}、現在のログが示すルート {found}。"
                f"ログが書き換えられた可能性があります（ISM 23-1-2）。{exc.detail}",
                f"Signed root {details['signed']}, the log now gives {found}. The log may "
                f"have been rewritten (ISM 23-1-2). {exc.detail}",
            ),
            [
                [Recipient(role="ciso"), Recipient(role="internal_auditor")],
                [Recipient(role="system_general_manager")],
            ],
            requires_ack=True,
            escalate_after=timedelta(minutes=30),
            link="/audit/",
        )
    except ValueError as error:
        log.error("cannot alert about the refused signature: %s", error)
