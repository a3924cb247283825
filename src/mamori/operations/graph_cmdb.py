"""The graph of a system's or a department's configuration items and information flows
(SRM 7-2), drawn server-side as inline SVG.

Layout is deterministic and layered: each group of kinds is a column (in the order of
:data:`LAYERS`); inside a column items follow their neighbours in the column before (one
barycentre sweep over the networkx graph, ties by name), so the same register draws the
same picture. The SVG carries no ``style`` element or attribute and no
script (the CSP forbids them): colours are presentation attributes, a gone item or relation
is drawn dashed, and each node's full name is a native ``<title>``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

import networkx as nx  # type: ignore[import-untyped]
from django.utils.safestring import SafeString, mark_safe

from mamori.operations.models import ConfigurationItem, Relation

__all__ = ["COLOURS", "LAYERS", "Drawing", "draw"]

#: Columns left to right: what people use, what runs it, where it runs, what governs it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("service", "container", "software"),
    ("server", "virtual_machine", "cloud_resource"),
    ("hardware", "network_device", "network_link", "cloud_account"),
    ("licence", "document", "contract", "vendor"),
)
COLOURS: dict[str, str] = {
    "service": "#1c7ed6",
    "container": "#4dabf7",
    "software": "#74c0fc",
    "server": "#2f9e44",
    "virtual_machine": "#69db7c",
    "cloud_resource": "#8ce99a",
    "hardware": "#e8590c",
    "network_device": "#ffa94d",
    "network_link": "#ffc078",
    "cloud_account": "#f59f00",
    "licence": "#862e9c",
    "document": "#adb5bd",
    "contract": "#cc5de8",
    "vendor": "#e599f7",
}
_WIDTH, _ROW, _NODE_W, _NODE_H, _MARGIN = 1000, 90, 180, 40, 40
_LABEL_AT = (0.5, 0.35, 0.65)


@dataclass(frozen=True)
class Drawing:
    """The SVG and what it shows (for the legend and tests)."""

    svg: SafeString
    nodes: int
    edges: int
    kinds: tuple[str, ...]


def _layer(kind: str) -> int:
    for number, kinds in enumerate(LAYERS):
        if kind in kinds:
            return number
    return len(LAYERS) - 1


def _short(text: str, size: int = 24) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _columns(graph: nx.DiGraph, nodes: list[ConfigurationItem]) -> list[list[ConfigurationItem]]:
    """The non-empty layers left to right; inside a layer items are ordered by the mean row
    of their neighbours in the layer before (one barycentre sweep, ties by name), which
    keeps related items side by side and the drawing the same for the same register."""
    layers: dict[int, list[ConfigurationItem]] = {}
    for item in nodes:
        layers.setdefault(_layer(item.kind), []).append(item)
    columns = [layers[k] for k in sorted(layers)]
    undirected = graph.to_undirected(as_view=True)
    for before, column in pairwise(columns):
        rows = {item.pk: row for row, item in enumerate(before)}

        def centre(item: ConfigurationItem, rows: dict[int, int] = rows) -> tuple[float, str]:
            near = [rows[n] for n in undirected.neighbors(item.pk) if n in rows]
            return (sum(near) / len(near) if near else float(len(rows)), item.name)

        column.sort(key=centre)
    return columns


def draw(items: Iterable[ConfigurationItem], relations: Iterable[Relation]) -> Drawing:
    """Draw ``items`` and the ``relations`` between them (relations to items not drawn are
    left out)."""
    nodes = sorted(items, key=lambda i: (_layer(i.kind), i.kind, i.name, i.pk))
    graph = nx.DiGraph()
    for item in nodes:
        graph.add_node(item.pk, layer=_layer(item.kind))
    edges = [r for r in relations if r.source_item_id in graph and r.target_item_id in graph]
    if not nodes:
        empty = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
        return Drawing(mark_safe(empty), 0, 0, ())  # noqa: S308 - fixed markup
    columns = _columns(graph, nodes)
    tallest = max(len(c) for c in columns)
    height = _MARGIN * 2 + max(tallest - 1, 0) * _ROW + _NODE_H
    span = _WIDTH - 2 * _MARGIN - _NODE_W
    place: dict[int, tuple[float, float]] = {}
    for x_index, column in enumerate(columns):
        x = _MARGIN + (span * x_index / (len(columns) - 1) if len(columns) > 1 else span / 2)
        offset = (tallest - len(column)) * _ROW / 2
        for row, item in enumerate(column):
            place[item.pk] = (x, _MARGIN + offset + row * _ROW)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" '
        f'width="100%" role="img" class="cmdb-graph" font-family="sans-serif" font-size="12">',
        '<defs><marker id="cmdb-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#495057"/></marker></defs>',
    ]
    labels: list[str] = []
    for number, relation in enumerate(edges):
        sx, sy = place[relation.source_item_id]
        tx, ty = place[relation.target_item_id]
        x1, y1 = sx + _NODE_W, sy + _NODE_H / 2
        x2, y2 = tx, ty + _NODE_H / 2
        if tx <= sx:  # same or earlier column: from the left edge to the right edge
            x1, x2 = sx, tx + _NODE_W
        label = relation.get_kind_display()
        if relation.data_kind:
            label = f"{label}: {relation.data_kind}"
        dash = ' stroke-dasharray="6 4"' if relation.gone_since else ""
        at = _LABEL_AT[number % len(_LABEL_AT)]  # staggered so neighbouring labels part
        parts.append(
            f'<g class="cmdb-edge" data-kind="{html.escape(relation.kind)}">'
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#495057" '
            f'stroke-width="1.5" marker-end="url(#cmdb-arrow)"{dash}/></g>'
        )
        labels.append(  # drawn last, over the nodes, so none is hidden
            f'<text x="{x1 + (x2 - x1) * at:.1f}" y="{y1 + (y2 - y1) * at - 4:.1f}" '
            f'text-anchor="middle" fill="#212529" stroke="#ffffff" stroke-width="3" '
            f'paint-order="stroke" class="cmdb-edge-label">{html.escape(label)}</text>'
        )
    for item in nodes:
        x, y = place[item.pk]
        dash = ' stroke-dasharray="6 4"' if item.gone_since else ""
        colour = COLOURS.get(item.kind, "#adb5bd")
        parts.append(
            f'<g class="cmdb-node" data-kind="{html.escape(item.kind)}">'
            f"<title>{html.escape(item.get_kind_display())}: {html.escape(item.name)}</title>"
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{_NODE_W}" height="{_NODE_H}" rx="6" '
            f'fill="{colour}" fill-opacity="0.35" stroke="{colour}" stroke-width="2"{dash}/>'
            f'<text x="{x + 8:.1f}" y="{y + 17:.1f}" fill="#212529" class="cmdb-node-label">'
            f"{html.escape(_short(item.name))}</text>"
            f'<text x="{x + 8:.1f}" y="{y + 32:.1f}" fill="#495057" font-size="10">'
            f"{html.escape(str(item.get_kind_display()))}</text></g>"
        )
    parts += [*labels, "</svg>"]
    kinds = tuple(dict.fromkeys(i.kind for i in nodes))
    return Drawing(mark_safe("".join(parts)), len(nodes), len(edges), kinds)  # noqa: S308
