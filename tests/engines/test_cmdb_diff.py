"""The diff of a source's snapshot against the last says exactly what was added, changed (and
which fields) and gone (SRM 12-4)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mamori.engines.cmdb import Item, Relation, Snapshot, diff

_items = st.builds(
    Item,
    kind=st.sampled_from(["server", "container"]),
    external_id=st.sampled_from([f"id-{n}" for n in range(8)]),
    name=st.sampled_from(["a", "b"]),
    attributes=st.dictionaries(st.sampled_from(["x", "y"]), st.integers(0, 1), max_size=2),
    system=st.sampled_from(["", "S"]),
    version=st.sampled_from(["", "1"]),
)
_relations = st.builds(
    Relation,
    source=st.sampled_from(["id-0", "id-1"]),
    target=st.sampled_from(["id-2", "id-3"]),
    kind=st.sampled_from(["runs_on", "depends_on"]),
)


def _snapshot(items: list[Item], relations: list[Relation]) -> Snapshot:
    unique = {item.external_id: item for item in items}
    return Snapshot("terraform", list(unique.values()), list(dict.fromkeys(relations)))


@given(
    st.lists(_items, max_size=8),
    st.lists(_items, max_size=8),
    st.lists(_relations, max_size=4),
    st.lists(_relations, max_size=4),
)
def test_the_diff_agrees_with_a_brute_force_comparison(
    before: list[Item], after: list[Item], rel_before: list[Relation], rel_after: list[Relation]
) -> None:
    old, new = _snapshot(before, rel_before), _snapshot(after, rel_after)
    result = diff(old, new)
    added, changed, gone, unchanged = [], {}, [], 0
    for item in new.items:
        match = [o for o in old.items if o.external_id == item.external_id]
        if not match:
            added.append(item.external_id)
            continue
        fields = tuple(
            name
            for name in Item._fields
            if name != "external_id" and getattr(match[0], name) != getattr(item, name)
        )
        if fields:
            changed[item.external_id] = fields
        else:
            unchanged += 1
    for item in old.items:
        if not any(n.external_id == item.external_id for n in new.items):
            gone.append(("terraform", item.external_id))
    assert [i.external_id for i in result.added] == added
    assert {c.item.external_id: c.fields for c in result.changed} == changed
    assert result.gone == gone
    assert result.unchanged == unchanged
    assert set(result.relations_added) == set(new.relations) - set(old.relations)
    assert set(result.relations_gone) == set(old.relations) - set(new.relations)


def test_the_same_snapshot_twice_changes_nothing() -> None:
    items = [Item("server", "a", "A", {"k": 1}), Item("licence", "b", "B", {})]
    snapshot = Snapshot("csv", items, [Relation("a", "b", "depends_on")])
    result = diff(snapshot, Snapshot("csv", list(items), list(snapshot.relations)))
    assert result.summary() == {
        "added": 0,
        "changed": 0,
        "gone": 0,
        "unchanged": 2,
        "relations_added": 0,
        "relations_gone": 0,
        "relations_unchanged": 1,
    }


def test_a_changed_item_names_the_fields_that_changed() -> None:
    before = Snapshot("csv", [Item("server", "a", "A", {"ram": 8}, version="1")])
    after = Snapshot("csv", [Item("server", "a", "A", {"ram": 16}, version="2")])
    (change,) = diff(before, after).changed
    assert change.fields == ("attributes", "version")
