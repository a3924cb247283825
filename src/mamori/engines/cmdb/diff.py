"""The difference between a source's last snapshot and its new one: added, changed (with the
fields that changed), gone (SRM 12-4: an item gone from its source is flagged, not deleted).

Items are keyed by ``(source, external_id)`` in dicts and compared as tuples, so a million
items diff in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mamori.engines.cmdb.snapshot import Item, Relation, Snapshot

__all__ = ["Change", "Diff", "diff", "diff_items"]

_COMPARED = tuple(name for name in Item._fields if name != "external_id")
_INDEXES = tuple(Item._fields.index(name) for name in _COMPARED)


@dataclass(frozen=True)
class Change:
    """An item whose report changed: the new report and the names of the fields that differ."""

    item: Item
    fields: tuple[str, ...]


@dataclass
class Diff:
    """Added, changed and gone items and relations; ``unchanged`` counts the rest."""

    added: list[Item] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    gone: list[tuple[str, str]] = field(default_factory=list)
    unchanged: int = 0
    relations_added: list[Relation] = field(default_factory=list)
    relations_gone: list[Relation] = field(default_factory=list)
    relations_unchanged: int = 0

    def summary(self) -> dict[str, int]:
        """Return the counts, as an import run records them."""
        return {
            "added": len(self.added),
            "changed": len(self.changed),
            "gone": len(self.gone),
            "unchanged": self.unchanged,
            "relations_added": len(self.relations_added),
            "relations_gone": len(self.relations_gone),
            "relations_unchanged": self.relations_unchanged,
        }


def _fields_changed(before: Item, after: Item) -> tuple[str, ...]:
    return tuple(
        name
        for name, index in zip(_COMPARED, _INDEXES, strict=True)
        if before[index] != after[index]
    )


def diff_items(
    previous: dict[tuple[str, str], Item], current: dict[tuple[str, str], Item], result: Diff
) -> None:
    """Fill ``result`` with the items added, changed and gone between two keyed reports."""
    unchanged = 0
    for key, item in current.items():
        before = previous.get(key)
        if before is None:
            result.added.append(item)
        elif before == item:
            unchanged += 1
        else:
            result.changed.append(Change(item, _fields_changed(before, item)))
    result.gone.extend(key for key in previous if key not in current)
    result.unchanged += unchanged


def diff(previous: Snapshot | None, current: Snapshot) -> Diff:
    """Return what changed from ``previous`` (None: nothing known yet) to ``current``."""
    result = Diff()
    before = {(previous.source, i.external_id): i for i in previous.items} if previous else {}
    after = {(current.source, i.external_id): i for i in current.items}
    diff_items(before, after, result)
    old = set(previous.relations) if previous else set()
    new = set(current.relations)
    result.relations_added = [r for r in current.relations if r not in old]
    result.relations_gone = [r for r in (previous.relations if previous else []) if r not in new]
    result.relations_unchanged = len(new & old)
    return result
