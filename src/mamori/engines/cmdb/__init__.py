"""Configuration-management engine (SRM 7-2, 12-2..4): the exchange's inventory read from real
sources — CSV and Excel tables, ``terraform show -json`` state, AWS Config snapshots,
``kubectl get -o json`` lists, NetBox REST exports — as snapshots of items and relations, and
the diff of a snapshot against the last (added, changed, gone). Framework-free."""

from collections.abc import Callable

from mamori.engines.cmdb.diff import Change, Diff, diff, diff_items
from mamori.engines.cmdb.jsonsources import (
    parse_aws_config,
    parse_kubernetes,
    parse_netbox,
    parse_terraform,
)
from mamori.engines.cmdb.snapshot import (
    ITEM_KINDS,
    RELATION_KINDS,
    CmdbFileError,
    Item,
    Problem,
    Relation,
    Snapshot,
)
from mamori.engines.cmdb.tabular import HEADER, parse_csv, parse_excel

__all__ = [
    "HEADER",
    "ITEM_KINDS",
    "PARSERS",
    "RELATION_KINDS",
    "Change",
    "CmdbFileError",
    "Diff",
    "Item",
    "Problem",
    "Relation",
    "Snapshot",
    "diff",
    "diff_items",
    "parse",
]

#: The parser of each source kind, by the name an import names it with.
PARSERS: dict[str, Callable[[bytes, str], Snapshot]] = {
    "csv": parse_csv,
    "excel": parse_excel,
    "terraform": parse_terraform,
    "aws_config": parse_aws_config,
    "kubernetes": parse_kubernetes,
    "netbox": parse_netbox,
}


def parse(source: str, data: bytes) -> Snapshot:
    """Return the snapshot ``data`` holds, read as ``source`` (a key of :data:`PARSERS`);
    raise :class:`CmdbFileError` naming every bad row or path."""
    parser = PARSERS.get(source)
    if parser is None:
        raise CmdbFileError(
            [Problem("source", f"expected one of {', '.join(PARSERS)}, got {source!r}")]
        )
    return parser(data, source)
