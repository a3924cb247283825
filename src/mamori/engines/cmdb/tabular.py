"""CSV and Excel inventories (SRM 12-2..4): one item per row under a header.

The header (first row; names case-insensitive, order free):

- ``kind`` (required): one of :data:`~mamori.engines.cmdb.snapshot.ITEM_KINDS`;
- ``external_id`` (required): the item's identifier in this inventory, unique in the file;
- ``name`` (required);
- ``system``, ``owner``: the code of the system and of the owner department (optional);
- ``location``, ``version``, ``expires_on`` (``YYYY-MM-DD``) (optional);
- ``relations`` (optional): ``kind:target_external_id[:data_kind]`` separated by ``;``, e.g.
  ``runs_on:srv-1;holds_data:db-1:customer_pii`` — every target must be a row of the file;
- any other column is kept as an attribute of the item (empty cells are left out).

Every bad row is reported (``row N``, the header being row 1), then the file is refused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from mamori.engines.cmdb.snapshot import (
    ITEM_KINDS,
    RELATION_KINDS,
    CmdbFileError,
    Item,
    Problem,
    Relation,
    Snapshot,
)

__all__ = ["HEADER", "parse_csv", "parse_excel", "parse_rows"]

#: The columns the importer reads itself; any other is an attribute.
HEADER = (
    "kind",
    "external_id",
    "name",
    "system",
    "owner",
    "location",
    "version",
    "expires_on",
    "relations",
)
_REQUIRED = ("kind", "external_id", "name")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _relations(source: str, text: str, where: str, problems: list[Problem]) -> list[Relation]:
    found = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        pieces = part.split(":", 2)
        if len(pieces) < 2 or pieces[0] not in RELATION_KINDS or not pieces[1]:
            problems.append(Problem(where, f"expected a relation kind:target[:data], got {part!r}"))
            continue
        found.append(Relation(source, pieces[1], pieces[0], pieces[2] if len(pieces) > 2 else ""))
    return found


def parse_rows(source: str, rows: Iterable[Sequence[Any]]) -> Snapshot:
    """Return the snapshot of a table's rows (the first being the header); raise
    :class:`CmdbFileError` naming every bad row."""
    iterator = iter(rows)
    header_row = next(iterator, None)
    if header_row is None:
        raise CmdbFileError([Problem("row 1", "expected a header, got an empty file")])
    header = [_text(cell).lower() for cell in header_row]
    missing = [name for name in _REQUIRED if name not in header]
    if missing:
        raise CmdbFileError([Problem("row 1", f"the header lacks {', '.join(missing)}")])
    where_of = {name: header.index(name) for name in HEADER if name in header}
    extra = [(i, name) for i, name in enumerate(header) if name and name not in where_of]
    snapshot = Snapshot(source)
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(iterator, start=2):
        cells = [_text(cell) for cell in row]
        if not any(cells):
            continue
        cells += [""] * (len(header) - len(cells))
        value = {name: cells[i] for name, i in where_of.items()}
        where = f"row {number}"
        bad = [name for name in _REQUIRED if not value[name]]
        if bad:
            problems.append(Problem(where, f"{', '.join(bad)} is empty"))
            continue
        if value["kind"] not in ITEM_KINDS:
            problems.append(Problem(where, f"unknown kind {value['kind']!r}"))
            continue
        external_id = value["external_id"]
        if external_id in seen:
            problems.append(Problem(where, f"{external_id!r} is also row {seen[external_id]}"))
            continue
        seen[external_id] = number
        expires_on = None
        if value.get("expires_on"):
            try:
                expires_on = date.fromisoformat(value["expires_on"])
            except ValueError:
                problems.append(
                    Problem(
                        where, f"expected expires_on as YYYY-MM-DD, got {value['expires_on']!r}"
                    )
                )
                continue
        snapshot.items.append(
            Item(
                value["kind"],
                external_id,
                value["name"],
                {name: cells[i] for i, name in extra if cells[i]},
                value.get("system", ""),
                value.get("owner", ""),
                value.get("location", ""),
                value.get("version", ""),
                expires_on,
            )
        )
        for relation in _relations(external_id, value.get("relations", ""), where, problems):
            snapshot.relations.append(relation)
    for relation in snapshot.relations:
        if relation.target not in seen:
            problems.append(
                Problem(
                    f"row {seen[relation.source]}",
                    f"relation target {relation.target!r} is not a row of the file",
                )
            )
    if problems:
        raise CmdbFileError(problems)
    snapshot.keep_known_relations()
    return snapshot


def parse_csv(data: bytes, source: str = "csv") -> Snapshot:
    """Return the snapshot of a CSV inventory (UTF-8, with or without BOM)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CmdbFileError([Problem("file", f"expected UTF-8, got {exc.reason}")]) from None
    return parse_rows(source, csv.reader(io.StringIO(text, newline="")))


def parse_excel(data: bytes, source: str = "excel") -> Snapshot:
    """Return the snapshot of the first sheet of an Excel workbook (.xlsx)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not a workbook
        raise CmdbFileError([Problem("file", f"expected an .xlsx workbook: {exc}")]) from None
    try:
        sheet = book.worksheets[0]
        return parse_rows(source, sheet.iter_rows(values_only=True))
    finally:
        book.close()
