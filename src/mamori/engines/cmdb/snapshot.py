"""The values every source becomes: items, relations, a snapshot, and the one error a bad file
raises (SRM 12-2..4: an inventory of physical and logical resources, kept from real sources)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

__all__ = [
    "ITEM_KINDS",
    "RELATION_KINDS",
    "CmdbFileError",
    "Item",
    "Problem",
    "Relation",
    "Snapshot",
]

#: The kinds of configuration item (the model's choices, SRM 12-2).
ITEM_KINDS = frozenset(
    {
        "hardware",
        "network_device",
        "network_link",
        "server",
        "virtual_machine",
        "cloud_account",
        "cloud_resource",
        "container",
        "service",
        "software",
        "licence",
        "document",
        "contract",
        "vendor",
    }
)
#: The kinds of relation (SRM 7-2: the information flows a system manager must know).
RELATION_KINDS = frozenset({"runs_on", "connects_to", "depends_on", "holds_data", "part_of"})


class Item(NamedTuple):
    """One configuration item as its source reports it (SRM 12-4). ``system`` and ``owner``
    are hints (a system's code, a department's code) the importer resolves; a tuple, so two
    reports of an item compare field by field at C speed."""

    kind: str
    external_id: str
    name: str
    attributes: dict[str, Any]
    system: str = ""
    owner: str = ""
    location: str = ""
    version: str = ""
    expires_on: date | None = None


class Relation(NamedTuple):
    """``source`` relates to ``target`` (external ids of the same snapshot) as ``kind``;
    ``data_kind`` names the data that flows for ``holds_data`` (SRM 7-2)."""

    source: str
    target: str
    kind: str
    data_kind: str = ""


@dataclass(frozen=True)
class Problem:
    """What is wrong and where: ``row 7`` of a table, ``$.items[3].kind`` of a JSON file."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class CmdbFileError(ValueError):
    """A file refused: every problem found, each naming its row or JSON path."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        super().__init__(shown + more)


@dataclass
class Snapshot:
    """What one file of one source says exists now: its items and their relations."""

    source: str
    items: list[Item] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)

    def keep_known_relations(self) -> int:
        """Drop relations whose ends are not items of this snapshot (a data source, a
        resource of another state file) and duplicates; return how many were dropped."""
        known = {item.external_id for item in self.items}
        kept: dict[Relation, None] = {}
        for relation in self.relations:
            if relation.source in known and relation.target in known:
                kept[relation] = None
        dropped = len(self.relations) - len(kept)
        self.relations = list(kept)
        return dropped
