"""What changed between two versions of a rule library.

A rule is revised (the SRM text is still a draft, 案): a newer version may reword a paragraph,
add an item or drop one. :func:`diff_libraries` compares by URN. A node whose Japanese text,
title or obligation strength changed is *changed* — its assessment must be reviewed; a node
whose English translation alone changed is *retranslated* — the obligation did not move, so
its assessment stands.
"""

from __future__ import annotations

from dataclasses import dataclass

from mamori.engines.rulebook.library import Library, Node

__all__ = ["Change", "diff_libraries"]


@dataclass(frozen=True)
class Change:
    """One node added, removed, changed or retranslated between two versions."""

    urn: str
    kind: str  # added | removed | changed | retranslated
    fields: tuple[str, ...]
    old: Node | None
    new: Node | None

    @property
    def needs_review(self) -> bool:
        """Return whether an assessment of this node must be looked at again."""
        return self.kind in ("added", "changed")


def _ja(node: Node) -> tuple[str, str]:
    return (node.text.ja if node.text else "", node.title.ja if node.title else "")


def _en(node: Node) -> tuple[str, str]:
    return (node.text.en if node.text else "", node.title.en if node.title else "")


def _changed_fields(old: Node, new: Node) -> tuple[str, ...]:
    fields = []
    if _ja(old) != _ja(new):
        fields.append("ja")
    if old.strength != new.strength:
        fields.append("strength")
    if old.assessable != new.assessable:
        fields.append("assessable")
    if old.parent != new.parent:
        fields.append("parent")
    if old.refs != new.refs:
        fields.append("refs")
    return tuple(fields)


def diff_libraries(old: Library, new: Library) -> list[Change]:
    """Return the changes from ``old`` to ``new`` in the new version's order, removals last."""
    if old.urn != new.urn:
        raise ValueError(f"expected a version of {old.urn}, got {new.urn}")
    changes: list[Change] = []
    for node in new.nodes:
        before = old.by_urn.get(node.urn)
        if before is None:
            changes.append(Change(node.urn, "added", (), None, node))
            continue
        fields = _changed_fields(before, node)
        if fields:
            changes.append(Change(node.urn, "changed", fields, before, node))
        elif _en(before) != _en(node):
            changes.append(Change(node.urn, "retranslated", ("en",), before, node))
    for node in old.nodes:
        if node.urn not in new.by_urn:
            changes.append(Change(node.urn, "removed", (), node, None))
    return changes
