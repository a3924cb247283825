"""The rule libraries hold both rules completely and verbatim; bad library files are refused."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from mamori.engines.rulebook import (
    LibraryError,
    classify,
    compact,
    diff_libraries,
    load_libraries,
    parse_rule,
)

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "src" / "mamori" / "rulebook" / "library"
SEEDS = ROOT.parent / "shared" / "seeds"
RULES = {"srm": "000_*.txt", "ism": "001_*.txt"}


def libraries():
    return {lib.ref_id: lib for lib in load_libraries(sorted(LIBRARY.glob("jvcea-*.yaml")))}


def seed_text(rule: str) -> str:
    (path,) = SEEDS.glob(RULES[rule])
    return path.read_text(encoding="utf-8")


def urn_of(rule: str, kind: str, path: tuple[int, ...]) -> str:
    base = f"urn:mamori:jvcea:{rule}:art{path[0]}"
    if kind == "article":
        return base
    return base + f":p{path[1]}" + (f":i{path[2]}" if kind == "item" else "")


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_article_paragraph_and_item_of_the_seed_is_in_the_library_once(rule: str) -> None:
    if not SEEDS.is_dir():
        pytest.skip("shared/seeds is not beside the checkout")
    parsed = parse_rule(seed_text(rule))
    library = libraries()[rule]
    expected = {urn_of(rule, n.kind, n.path): n for n in parsed.provisions()}
    in_library = Counter(n.urn for n in library.nodes if n.kind in ("article", "paragraph", "item"))
    assert [urn for urn, count in in_library.items() if count > 1] == []
    assert sorted(set(expected) - set(in_library)) == [], "missing from the library"
    assert sorted(set(in_library) - set(expected)) == [], "in the library but not in the rule"
    for urn, seed_node in expected.items():
        node = library.by_urn[urn]
        if node.kind == "article":
            assert node.title is not None and node.title.ja == seed_node.text, urn
        else:
            assert node.text is not None
            assert compact(node.text.ja) == compact(seed_node.text), urn


def test_the_seed_counts_are_what_the_rules_say() -> None:
    if not SEEDS.is_dir():
        pytest.skip("shared/seeds is not beside the checkout")
    assert len(parse_rule(seed_text("srm")).articles()) == 27
    assert len(parse_rule(seed_text("ism")).articles()) == 34


def test_every_guideline_note_is_attached_to_what_it_explains() -> None:
    if not SEEDS.is_dir():
        pytest.skip("shared/seeds is not beside the checkout")
    notes = parse_rule(seed_text("ism")).notes
    ism = libraries()["ism"]
    assert len(ism.guidance) == len(notes) == 8
    for note, guidance in zip(notes, ism.guidance, strict=True):
        assert compact(guidance.text.ja) == compact(note.text)
        assert guidance.applies_to in ism.by_urn or guidance.applies_to == ism.urn
    by_target = {g.applies_to for g in ism.guidance}
    assert "urn:mamori:jvcea:ism:ch6" in by_target
    assert "urn:mamori:jvcea:ism:art5:p1" in by_target


def test_each_strength_is_the_one_the_japanese_wording_uses() -> None:
    for library in libraries().values():
        for node in library.nodes:
            if node.text is None:
                continue
            parent = library.by_urn.get(node.parent or "")
            inherited = parent.strength if parent and parent.kind == "paragraph" else None
            assert node.strength == classify(node.text.ja, inherited), node.urn


def test_every_node_has_an_english_translation_and_the_cross_references_resolve() -> None:
    libs = libraries()
    for library in libs.values():
        for node in library.nodes:
            text = node.text or node.title
            assert text is not None and text.en and text.en != "TODO", node.urn
    srm, ism = libs["srm"], libs["ism"]
    assert "urn:mamori:jvcea:ism:ch4" in srm.by_urn["urn:mamori:jvcea:srm:art8:p1"].refs
    assert "urn:mamori:jvcea:srm" in ism.by_urn["urn:mamori:jvcea:ism:art2:p2"].refs
    assert "urn:mamori:jvcea:srm:art6" in ism.by_urn["urn:mamori:jvcea:ism:art8:p2"].refs
    assert "urn:mamori:jvcea:ism:art8:p2" in srm.by_urn["urn:mamori:jvcea:srm:art6:p1"].refs


def test_purpose_definitions_and_permissions_are_not_requirements() -> None:
    libs = libraries()
    srm_requirements = {n.urn for n in libs["srm"].requirements()}
    ism_requirements = {n.urn for n in libs["ism"].requirements()}
    assert "urn:mamori:jvcea:srm:art1:p1" not in srm_requirements
    assert "urn:mamori:jvcea:srm:art2:p1:i1" not in srm_requirements
    assert "urn:mamori:jvcea:ism:art8:p2" not in ism_requirements  # may
    assert "urn:mamori:jvcea:ism:art27:p2:i3" in ism_requirements
    assert "urn:mamori:jvcea:srm:art20:p2" in srm_requirements  # must not
    assert libs["ism"].by_urn["urn:mamori:jvcea:ism:art27:p2:i1"].label("ism") == "ISM 27-2-1"


HEAD = """library:
  urn: urn:x:r
  ref_id: r
  version: 1
  status: draft
  name: {ja: 規則, en: Rule}
  publisher: {ja: 協会, en: Association}
nodes:
- urn: urn:x:r:ch1
  kind: chapter
  number: 1
  title: {ja: 総則, en: General}
  children:
  - urn: urn:x:r:art1
    kind: article
    number: 1
    title: {ja: 目的, en: Purpose}
    children:
    - urn: urn:x:r:art1:p1
      kind: paragraph
      number: 1
      strength: must
      text: {ja: 会員は、記録しなければならない。, en: A member must record.}
"""


def load_text(tmp_path: Path, text: str):
    path = tmp_path / "rule.yaml"
    path.write_text(text, encoding="utf-8")
    return load_libraries([path])


@pytest.mark.parametrize(
    ("extra", "line", "message"),
    [
        (
            "    - urn: urn:x:r:art1:p1\n      kind: paragraph\n      number: 2\n"
            "      strength: must\n      text: {ja: あ, en: a}\n",
            24,
            "duplicate URN urn:x:r:art1:p1",
        ),
        (
            "    - urn: urn:x:r:art1:p2\n      kind: paragraph\n      number: 2\n"
            "      strength: should\n      text: {ja: あ, en: a}\n",
            24,
            "unknown obligation strength 'should'",
        ),
        (
            "    - urn: urn:x:r:art1:p2\n      kind: paragraph\n      number: 2\n"
            "      strength: must\n      refs: [urn:x:r:art9]\n      text: {ja: あ, en: a}\n",
            24,
            "dangling cross-reference urn:x:r:art9",
        ),
        (
            "    - urn: urn:x:r:art1:p2\n      kind: paragraph\n      number: 2\n"
            "      number: 3\n      strength: must\n      text: {ja: あ, en: a}\n",
            27,
            "duplicate key 'number'",
        ),
        ("    - urn: [unclosed\n", 25, "malformed YAML"),
        (
            "    - urn: urn:x:r:art1:p2\n      kind: clause\n      number: 2\n",
            24,
            "unknown kind 'clause'",
        ),
        (
            "    - urn: urn:x:r:art1:p2\n      kind: paragraph\n      number: 2\n"
            "      strength: must\n      text: {ja: あ}\n",
            28,
            "'en' must be a non-empty string",
        ),
    ],
)
def test_a_bad_library_file_is_refused_with_file_and_line(
    tmp_path: Path, extra: str, line: int, message: str
) -> None:
    with pytest.raises(LibraryError) as caught:
        load_text(tmp_path, HEAD + extra)
    assert caught.value.path.endswith("rule.yaml")
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"{caught.value.path}:{line}: ")


def test_a_good_small_library_loads(tmp_path: Path) -> None:
    (library,) = load_text(tmp_path, HEAD)
    assert [n.urn for n in library.requirements()] == ["urn:x:r:art1:p1"]


def test_a_new_version_shows_what_changed_and_what_only_was_retranslated(tmp_path: Path) -> None:
    (old,) = load_text(tmp_path, HEAD)
    newer = (
        HEAD.replace("version: 1", "version: 2")
        .replace("A member must record.", "A member shall record.")
        .replace("title: {ja: 目的, en: Purpose}", "title: {ja: 趣旨, en: Purpose}")
        + "    - urn: urn:x:r:art1:p2\n      kind: paragraph\n      number: 2\n"
        "      strength: endeavour\n      text: {ja: 努めなければならない。, en: Endeavour.}\n"
    )
    (new,) = load_text(tmp_path, newer)
    changes = {c.urn: c for c in diff_libraries(old, new)}
    assert changes["urn:x:r:art1"].kind == "changed" and changes["urn:x:r:art1"].fields == ("ja",)
    assert changes["urn:x:r:art1:p1"].kind == "retranslated"
    assert not changes["urn:x:r:art1:p1"].needs_review
    assert changes["urn:x:r:art1:p2"].kind == "added" and changes["urn:x:r:art1:p2"].needs_review
    assert "urn:x:r:ch1" not in changes
    removed = diff_libraries(new, old)
    assert [(c.urn, c.kind) for c in removed if c.kind == "removed"] == [
        ("urn:x:r:art1:p2", "removed")
    ]
