"""Record entries, issue checkpoints, prove inclusion and consistency (ISM 23-1-2).

:func:`record` is the only way in. The choke point (:mod:`mamori.auditlog.choke`) calls it for
every model change, :mod:`mamori.auditlog.bypass` for every write the database caught outside
the ORM; sign-ins, approval decisions, exports and reads of confidential data add
their own action names through :func:`describe` hooks, :func:`record_export` and
:func:`record_read`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from mamori.auditlog import signer, store
from mamori.auditlog.context import AuditContext, current
from mamori.auditlog.models import Checkpoint
from mamori.engines import merkle

__all__ = [
    "appended_together",
    "describe",
    "inclusion",
    "issue_checkpoint",
    "log_key",
    "origin",
    "prepare",
    "record",
    "record_change",
    "record_export",
    "record_read",
    "register_describer",
]

log = logging.getLogger("mamori.auditlog")
Describer = Callable[[Any, bool], dict[str, Any]]
_DESCRIBERS: dict[str, Describer] = {}
_GATHERED = threading.local()


@contextmanager
def appended_together() -> Iterator[None]:
    """Gather the entries recorded inside the block and append them in one go as it ends —
    still inside the caller's transaction, so a change is never kept without its entry (a
    batch of withdrawal checks: one append for a hundred decisions instead of a hundred, each
    a lock, a read of the log's tip and its inserts). Entries keep their order; an exception
    discards them with the transaction that made them. Use it only inside a transaction."""
    if getattr(_GATHERED, "entries", None) is not None:
        yield  # already gathering: the outer block appends
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("entries are gathered only inside a transaction")
    _GATHERED.entries = []
    try:
        yield
        store.append(_GATHERED.entries)
    finally:
        _GATHERED.entries = None


def register_describer(label: str, describer: Describer) -> None:
    """Let ``label`` (``app.model``) name its entries, e.g. ``signin.failure`` for attempts.

    ``describer(instance, created)`` returns extra fields; ``"action"`` replaces create/update.
    """
    _DESCRIBERS[label] = describer


def describe(instance: Model, created: bool) -> dict[str, Any]:
    """Return the extra fields registered for ``instance``'s model (empty if none)."""
    label = f"{instance._meta.app_label}.{instance._meta.model_name}"
    describer = _DESCRIBERS.get(label)
    return describer(instance, created) if describer else {}


def record(
    action: str,
    object_type: str = "",
    object_id: str = "",
    details: dict[str, Any] | None = None,
    before: str | None = None,
    after: str | None = None,
) -> int | None:
    """Append one entry under the current actor and request; return its position (None
    inside :func:`appended_together`: it is appended, and numbered, as the block ends)."""
    entry = prepare(current(), action, object_type, object_id, details, before, after)
    gathered: list[store.PreparedEntry] | None = getattr(_GATHERED, "entries", None)
    if gathered is not None:
        gathered.append(entry)
        return None
    return store.append([entry])[0]


def prepare(
    context: AuditContext,
    action: str,
    object_type: str = "",
    object_id: str = "",
    details: dict[str, Any] | None = None,
    before: str | None = None,
    after: str | None = None,
) -> store.PreparedEntry:
    """Return the entry :func:`record` would append under ``context``, to append with others
    in one go (``store.append``)."""
    at = timezone.now()
    if context.reason:
        details = {**(details or {}), "reason": context.reason}
    body = {
        "at": at.isoformat(),
        "actor": context.actor,
        "action": action,
        "object": {"type": object_type, "id": object_id} if object_type else None,
        "before": before,
        "after": after,
        "request_id": context.request_id or None,
        "ip": context.ip,
        "details": details or {},
    }
    return store.PreparedEntry(
        at,
        context.actor[:200],
        action[:100],
        object_type[:100],
        object_id[:100],
        context.request_id[:64],
        body,
    )


def record_change(
    verb: str,
    object_type: str,
    object_id: str,
    before: str | None,
    after: str | None,
    extra: dict[str, Any],
) -> int | None:
    """Record a create/update/delete with digests of the row before and after."""
    extra = dict(extra)
    action = extra.pop("action", verb)
    return record(action, object_type, object_id, extra, before, after)


def record_read(instance: Model, fields: list[str], purpose: str = "") -> int | None:
    """Record that the current actor read confidential ``fields`` of ``instance``."""
    label = f"{instance._meta.app_label}.{instance._meta.model_name}"
    return record("read", label, str(instance.pk), {"fields": fields, "purpose": purpose})


def record_export(
    kind: str, sha256: str, details: dict[str, Any] | None = None, object_id: str = ""
) -> int | None:
    """Record an export or download (of the object ``object_id`` of type ``kind``, if it is
    one) with the digest of what left the system."""
    return record("export", kind, object_id, {"sha256": sha256, **(details or {})})


def origin() -> str:
    """Return the log's origin: the name of its first key, or the configured one."""
    from mamori.auditlog import keys

    return keys.origin()


def log_key() -> merkle.LogKey:
    """Return the log's signing key, which signs through the configured store (HSM or key file
    outside the data directory); raise :class:`mamori.core.signing.SigningError` if it is not
    there — no key is ever made here (``mamori keys init log`` makes one)."""
    from mamori.auditlog import keys

    return keys.signing_key("log")


def issue_checkpoint() -> Checkpoint | None:
    """Sign and store a checkpoint of the current tree if it grew since the last one.

    The signer first proves the tree extends the last checkpoint it signed (kept outside the
    database, :mod:`mamori.auditlog.signer`) and the last one stored; if not, nothing is
    signed, the CISO and the auditors are alerted and :class:`SignerRefused` is raised.
    """
    key = log_key()
    with signer.guard() as guard, transaction.atomic():
        cursor = store.raw_cursor()
        size = store.size(cursor)
        last = Checkpoint.objects.order_by("-size").first()
        if size == 0 or (last is not None and last.size >= size):
            return None
        reader = store.DbNodes(cursor)
        root = merkle.root_at(reader, size)
        name = origin()
        guard.check(reader, name, size, root, last.note if last else None, key.verifier())
        note = key.sign(merkle.Checkpoint(name, size, root))
        guard.remember(name, size, root, note)
        return Checkpoint.objects.create(size=size, root=root, note=note, issued_at=timezone.now())


def inclusion(position: int, size: int) -> list[bytes]:
    """Return the inclusion proof of entry ``position`` in the tree of ``size`` entries."""
    return store.inclusion_proof(store.DbNodes(), position, size)
