"""Import a source file into the configuration database (SRM 7-2, 12-2..5).

:func:`import_file` parses the file with :mod:`mamori.engines.cmdb`, diffs it against what the
source said last, and applies the difference in one transaction: new items and relations are
created, changed items updated, items and relations gone from the source flagged
(``gone_since``, never deleted), those that come back cleared. The same file twice changes
nothing. A bad file is refused with every problem (row or JSON path) and stores nothing but
the refused :class:`~mamori.operations.models.ImportRun`.

The audit log's guarantees hold: the choke point has no way to write rows unrecorded (and on
PostgreSQL its triggers would catch one), so every row is recorded with its digest as any
write is — new rows by the fast path of :mod:`.cmdb_fastdb` (a thousand rows per INSERT,
entries appended a batch at a time), updates through the audited queryset — and one more
entry, ``cmdb.import``, records the run with its diff summary and the file's digest.

An item's system and owner come from its source's hints (a system's code, a department's
code), kept in its attributes (``system_hint``, ``owner_hint``) so the next import compares
like with like; a hint that names no system leaves the item's system as it is (a person may
have set it). ``last_seen_at`` moves only when the item changes: that a source still reports
an unchanged item is read from its source's last :class:`ImportRun` (:func:`last_seen`).
"""

from __future__ import annotations

import gc
import hashlib
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import Department
from mamori.auditlog.context import because
from mamori.auditlog.services import appended_together, record
from mamori.core.errors import Refused
from mamori.engines import cmdb
from mamori.operations.models import ConfigurationItem, ImportRun, Relation, System
from mamori.operations.services import cmdb_fastdb

__all__ = [
    "BATCH",
    "CmdbImportRefused",
    "import_file",
    "last_seen",
    "stored_snapshot",
    "unknown_items",
]

#: Rows per statement, and entries per append to the audit log.
BATCH = 5_000
_HINTS = ("system_hint", "owner_hint")
T = TypeVar("T")


class CmdbImportRefused(Refused):
    """An import refused: the file is bad (every problem in ``fields``, by row or path)."""


def _chunks(rows: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _stored_attributes(item: cmdb.Item) -> dict[str, Any]:
    attributes = dict(item.attributes)
    if item.system:
        attributes["system_hint"] = item.system
    if item.owner:
        attributes["owner_hint"] = item.owner
    return attributes


def stored_snapshot(source: str) -> tuple[cmdb.Snapshot, dict[str, tuple[int, bool]]]:
    """Return what the database holds for ``source`` as a snapshot, and each item's key and
    whether it is flagged gone, by external id."""
    snapshot = cmdb.Snapshot(source)
    rows: dict[str, tuple[int, bool]] = {}
    ids: dict[int, str] = {}
    fields = ("pk", "kind", "external_id", "name", "attributes", "location", "version")
    found = ConfigurationItem.objects.filter(source=source).values_list(
        *fields, "expires_on", "gone_since"
    )
    for pk, kind, external_id, name, attributes, location, version, expires, gone in found:
        attributes = dict(attributes or {})
        system = attributes.pop("system_hint", "")
        owner = attributes.pop("owner_hint", "")
        snapshot.items.append(
            cmdb.Item(
                kind, external_id, name, attributes, system, owner, location, version, expires
            )
        )
        rows[external_id] = (pk, gone is not None)
        ids[pk] = external_id
    relations = Relation.objects.filter(source_item__source=source).values_list(
        "source_item_id", "target_item_id", "kind", "data_kind"
    )
    for source_pk, target_pk, kind, data_kind in relations:
        if source_pk in ids and target_pk in ids:
            snapshot.relations.append(
                cmdb.Relation(ids[source_pk], ids[target_pk], kind, data_kind)
            )
    return snapshot, rows


class _Resolver:
    """Turn system and department codes into keys, once per code."""

    def __init__(self) -> None:
        self.systems = dict(System.objects.values_list("code", "pk"))
        self.departments = dict(Department.objects.values_list("code", "pk"))

    def fields(self, item: cmdb.Item) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if item.system and item.system in self.systems:
            found["system_id"] = self.systems[item.system]
        if item.owner and item.owner in self.departments:
            found["department_id"] = self.departments[item.owner]
        return found


def _item_key(row: dict[str, Any]) -> tuple[str, str]:
    return (row["source"], row["external_id"])


def _new_item(source: str, item: cmdb.Item, now: datetime, resolver: _Resolver) -> dict[str, Any]:
    """Return the columns of a new item's row (see :mod:`.cmdb_fastdb`)."""
    return {
        "kind": item.kind,
        "name": item.name[:300],
        "source": source,
        "external_id": item.external_id,
        "system_id": None,
        "department_id": None,
        "system_manager_id": None,
        "location": item.location[:200],
        "criticality": ConfigurationItem.Criticality.MEDIUM.value,
        "lifecycle": ConfigurationItem.Lifecycle.ACTIVE.value,
        "version": item.version[:100],
        "expires_on": item.expires_on,
        "attributes": _stored_attributes(item),
        "first_seen_at": now,
        "last_seen_at": now,
        "gone_since": None,
        **resolver.fields(item),
    }


def _refuse(
    source: str, file_name: str, digest: str, problems: list[cmdb.Problem], **run: Any
) -> CmdbImportRefused:
    ImportRun.objects.create(
        source=source if source in ImportRun.Source.values else "csv",
        file_name=file_name[:300],
        sha256=digest,
        outcome=ImportRun.Outcome.REFUSED,
        errors=[{"where": p.where, "message": p.message} for p in problems[:1000]],
        at=timezone.now(),
        **run,
    )
    return CmdbImportRefused(
        "cmdb_file_refused",
        _("The file was refused, nothing was imported: %(problems)s")
        % {"problems": "; ".join(str(p) for p in problems[:20])},
        fields=[(p.where, p.message) for p in problems[:1000]],
    )


def import_file(
    source: str,
    data: bytes,
    file_name: str = "",
    by: AbstractBaseUser | None = None,
    via: str = "web",
) -> ImportRun:
    """Import ``data`` read as ``source``; return the run. Raise :class:`CmdbImportRefused`
    (after recording the refused run) when the file is bad: nothing else is stored."""
    started = time.perf_counter()
    digest = hashlib.sha256(data).hexdigest()
    run_fields: dict[str, Any] = {"by": by, "via": via}
    if source not in ImportRun.Source.values:
        raise _refuse(
            source,
            file_name,
            digest,
            [cmdb.Problem("source", f"expected one of {', '.join(ImportRun.Source.values)}")],
            **run_fields,
        )
    try:
        snapshot = cmdb.parse(source, data)
    except cmdb.CmdbFileError as bad:
        raise _refuse(source, file_name, digest, bad.problems, **run_fields) from None
    who = getattr(by, "username", None) or via
    with (
        _parsed_frozen(len(data) >= LARGE_FILE),
        transaction.atomic(),
        because(f"{source} import of {file_name or digest[:12]} by {who}"),
    ):
        run = _apply(source, snapshot, file_name, digest, run_fields)
        run.milliseconds = int((time.perf_counter() - started) * 1000)
        run.save(update_fields=["milliseconds"])
    return run


#: From this size on, the parsed file is kept out of the cycle collector's way while written.
LARGE_FILE = 8 << 20


@contextmanager
def _parsed_frozen(freeze: bool) -> Iterator[None]:
    """With ``freeze``, move every object alive now — the parsed inventory among them — out of
    the cycle collector's reach for the block (``gc.freeze``): a large inventory keeps millions
    of parsed objects alive, and each collection walked them again for nothing (they hold no
    cycles). The collector keeps running for everything made meanwhile, in this thread and in
    the server's others. The objects are handed back after (``gc.unfreeze``) unless something
    else had frozen objects before (the custody gateway does, at start): unfreezing would hand
    back its objects too. Frozen objects are still freed when no longer referenced."""
    owned = freeze and gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        yield
    finally:
        if owned:
            gc.unfreeze()


def _apply(
    source: str,
    snapshot: cmdb.Snapshot,
    file_name: str,
    digest: str,
    run_fields: dict[str, Any],
) -> ImportRun:
    """Write the difference between the stored snapshot and ``snapshot`` (in a transaction)."""
    now = timezone.now()
    previous, rows = stored_snapshot(source)
    found = cmdb.diff(previous, snapshot)
    resolver = _Resolver()
    keys = {external_id: pk for external_id, (pk, _gone) in rows.items()}
    for chunk in _chunks(found.added, BATCH * 4):
        created = cmdb_fastdb.insert(
            ConfigurationItem,
            [_new_item(source, item, now, resolver) for item in chunk],
            _item_key,
            ("source", "external_id"),
        )
        keys.update((external_id, pk) for (_source, external_id), pk in created.items())
    changed = []
    for change in found.changed:
        row = ConfigurationItem(pk=keys[change.item.external_id])
        item = change.item
        for name, value in (
            ("kind", item.kind),
            ("name", item.name[:300]),
            ("location", item.location[:200]),
            ("version", item.version[:100]),
            ("expires_on", item.expires_on),
            ("attributes", _stored_attributes(item)),
            ("last_seen_at", now),
            ("gone_since", None),
        ):
            setattr(row, name, value)
        for name, value in resolver.fields(item).items():
            setattr(row, name, value)
        changed.append(row)
    update_fields = ["kind", "name", "location", "version", "expires_on", "attributes"]
    update_fields += ["last_seen_at", "gone_since", "system", "department"]
    for rows_of in _chunks(changed):
        with appended_together():
            ConfigurationItem.objects.bulk_update(rows_of, update_fields)
    changed_ids = {c.item.external_id for c in found.changed}
    back = [
        rows[i.external_id][0]
        for i in snapshot.items
        if i.external_id in rows and rows[i.external_id][1] and i.external_id not in changed_ids
    ]
    reappeared = len(back) + sum(1 for i in changed_ids if rows.get(i, (0, False))[1])
    for pks in _chunks(back):
        with appended_together():
            ConfigurationItem.objects.filter(pk__in=pks).update(gone_since=None, last_seen_at=now)
    gone = [rows[external_id][0] for _source, external_id in found.gone]
    newly_gone = 0
    for pks in _chunks(gone):
        with appended_together():
            newly_gone += ConfigurationItem.objects.filter(
                pk__in=pks, gone_since__isnull=True
            ).update(gone_since=now)
    relations = _apply_relations(source, snapshot, found, keys, now)
    unknown = ConfigurationItem.objects.filter(
        source=source, system__isnull=True, gone_since__isnull=True
    ).count()
    run = ImportRun.objects.create(
        source=source,
        file_name=file_name[:300],
        sha256=digest,
        outcome=ImportRun.Outcome.IMPORTED,
        added=len(found.added),
        changed=len(found.changed),
        gone=newly_gone,
        reappeared=reappeared,
        unchanged=found.unchanged - len(back),
        unknown=unknown,
        at=now,
        **relations,
        **run_fields,
    )
    record(
        "cmdb.import",
        "operations.importrun",
        str(run.pk),
        {
            "source": source,
            "file": file_name,
            "sha256": digest,
            **found.summary(),
            "gone_flagged": newly_gone,
            "reappeared": reappeared,
            "unknown": unknown,
        },
    )
    return run


def _apply_relations(
    source: str,
    snapshot: cmdb.Snapshot,
    found: cmdb.Diff,
    keys: dict[str, int],
    now: datetime,
) -> dict[str, int]:
    """Create the relations added, flag those gone, clear those back; return the counts."""
    stored = {
        (s, t, k, d): (pk, gone is not None)
        for pk, s, t, k, d, gone in Relation.objects.filter(source_item__source=source)
        .values_list("pk", "source_item_id", "target_item_id", "kind", "data_kind", "gone_since")
        .iterator(chunk_size=BATCH)
    }

    def key(r: cmdb.Relation) -> tuple[int, int, str, str]:
        return (keys[r.source], keys[r.target], r.kind, r.data_kind)

    added = [r for r in found.relations_added if key(r) not in stored]
    for chunk in _chunks(added, BATCH * 4):
        cmdb_fastdb.insert(
            Relation,
            [
                {
                    "source_item_id": keys[r.source],
                    "target_item_id": keys[r.target],
                    "kind": r.kind,
                    "data_kind": r.data_kind[:100],
                    "gone_since": None,
                }
                for r in chunk
            ],
            _relation_key,
            ("source_item_id", "target_item_id", "kind", "data_kind"),
        )
    current = {key(r) for r in snapshot.relations}
    back = [pk for k, (pk, gone) in stored.items() if gone and k in current]
    gone = [pk for k, (pk, was_gone) in stored.items() if not was_gone and k not in current]
    for pks in _chunks(back):
        with appended_together():
            Relation.objects.filter(pk__in=pks).update(gone_since=None)
    for pks in _chunks(gone):
        with appended_together():
            Relation.objects.filter(pk__in=pks).update(gone_since=now)
    return {
        "relations_added": len(added) + len(back),
        "relations_gone": len(gone),
        "relations_unchanged": len(current) - len(added) - len(back),
    }


def _relation_key(row: dict[str, Any]) -> tuple[int, int, str, str]:
    return (row["source_item_id"], row["target_item_id"], row["kind"], row["data_kind"])


def last_seen(source: str) -> datetime | None:
    """Return when ``source`` last reported its items (its last imported run): every item
    of it not flagged gone was seen then."""
    found: datetime | None = ImportRun.objects.filter(
        source=source, outcome=ImportRun.Outcome.IMPORTED
    ).aggregate(at=Max("at"))["at"]
    return found


def unknown_items(since: date | None = None) -> int:
    """Return how many items imports found that no system claims (SRM 12-5), not gone."""
    found = ConfigurationItem.objects.exclude(source="manual").filter(
        system__isnull=True, gone_since__isnull=True
    )
    if since is not None:
        found = found.filter(first_seen_at__date__gte=since)
    return found.count()
