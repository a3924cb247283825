"""Rule libraries: a rule as versioned YAML data, read and checked with file and line.

A library file holds one rule (SRM or ISM): its URN, version and names, then its chapters,
sections, articles, paragraphs (項) and items (号) as nested nodes, each with a stable URN
(``urn:mamori:jvcea:ism:art27:p2:i1``), the Japanese text verbatim, an English translation,
the obligation strength (:mod:`.strength`) and cross-references; then the guideline notes
attached to the node they explain. :func:`load_libraries` refuses a file with malformed YAML,
a duplicate key or URN, an unknown kind or strength, a missing translation or a reference to
a URN no loaded library defines, naming the file and line.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mamori.engines.rulebook.strength import STRENGTHS

__all__ = [
    "KINDS",
    "OBLIGATIONS",
    "PROVISION_KINDS",
    "Guidance",
    "Library",
    "LibraryError",
    "Node",
    "Text",
    "load_libraries",
    "read_yaml",
]

#: Node kinds, outermost first; a node's children are of a later kind.
KINDS = ("chapter", "section", "article", "paragraph", "item")
#: Kinds whose nodes are requirements (carry an obligation and can be assessed).
PROVISION_KINDS = ("paragraph", "item")
#: Strengths that oblige the member (``may`` permits, ``informative`` states).
OBLIGATIONS = ("must", "must_not", "endeavour", "shall")


class LibraryError(ValueError):
    """A library file is wrong; ``str()`` is ``file:line: message``."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Text:
    """A text in Japanese (verbatim for rule text) and English."""

    ja: str
    en: str

    def get(self, language: str) -> str:
        """Return the text in ``language`` (``ja`` or ``en``), Japanese otherwise."""
        return self.en if language.startswith("en") and self.en else self.ja


@dataclass(frozen=True)
class Node:
    """One chapter, section, article, paragraph or item of a rule."""

    urn: str
    kind: str
    number: int
    parent: str | None
    title: Text | None
    text: Text | None
    strength: str | None
    refs: tuple[str, ...]
    external_refs: tuple[Text, ...]
    line: int
    assessable: bool = True

    @property
    def is_requirement(self) -> bool:
        """Return whether this node obliges the member to do (or not do) something.

        Purpose clauses, definitions (``assessable: false``) and permissions (``may``) are
        provisions of the rule but nothing a member can comply with or fail.
        """
        return self.kind in PROVISION_KINDS and self.strength in OBLIGATIONS and self.assessable

    def label(self, rule: str) -> str:
        """Return the short citation, e.g. ``ISM 27-2-1``, ``ISM ch.6``, ``SRM ch.4 s.2``."""
        parts = self.urn.split(":")[4:]
        if self.kind == "chapter":
            return f"{rule.upper()} ch.{self.number}"
        if self.kind == "section":
            return f"{rule.upper()} ch.{parts[0][2:]} s.{self.number}"
        nums = [p[3:] if p.startswith("art") else p[1:] for p in parts]
        return f"{rule.upper()} {'-'.join(nums)}"


@dataclass(frozen=True)
class Guidance:
    """A guideline note (ガイドライン「…関係」) explaining a node."""

    urn: str
    applies_to: str
    text: Text
    refs: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Library:
    """One rule as data."""

    urn: str
    ref_id: str
    version: int
    edition: str
    status: str
    name: Text
    publisher: Text
    effective: str
    source: str
    nodes: tuple[Node, ...]
    guidance: tuple[Guidance, ...]
    path: str = ""
    by_urn: dict[str, Node] = field(default_factory=dict, compare=False, repr=False)

    def children(self, urn: str | None) -> list[Node]:
        """Return the nodes whose parent is ``urn`` (``None``: the chapters)."""
        return [n for n in self.nodes if n.parent == urn]

    def requirements(self) -> list[Node]:
        """Return the paragraphs and items that carry an obligation, in order."""
        return [n for n in self.nodes if n.is_requirement]

    def ancestors(self, urn: str) -> list[Node]:
        """Return the chain of nodes from the chapter down to ``urn`` itself."""
        chain: list[Node] = []
        node = self.by_urn.get(urn)
        while node is not None:
            chain.append(node)
            node = self.by_urn.get(node.parent) if node.parent else None
        return list(reversed(chain))


class _LineLoader(yaml.SafeLoader):
    """A safe loader that records each mapping's line and refuses duplicate keys."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    loader.flatten_mapping(node)
    out: dict[str, Any] = {"__line__": node.start_mark.line + 1}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.MarkedYAMLError(
                problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def read_yaml(path: Path | str, text: str | None = None) -> Any:
    """Parse a YAML file; every mapping gets ``__line__``. Raises :class:`LibraryError`."""
    name = str(path)
    source = Path(path).read_text(encoding="utf-8") if text is None else text
    try:
        return yaml.load(source, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise LibraryError(name, line, f"malformed YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise LibraryError(name, 0, f"malformed YAML: {exc}") from None


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, data: Any, message: str) -> LibraryError:
        line = data.get("__line__", 0) if isinstance(data, dict) else 0
        return LibraryError(self.path, line, message)

    def mapping(self, data: Any, where: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise LibraryError(self.path, 0, f"{where} must be a mapping")
        return data

    def string(self, data: dict[str, Any], key: str, required: bool = True) -> str:
        value = data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(data, f"{key!r} must be a non-empty string")
        return value

    def integer(self, data: dict[str, Any], key: str) -> int:
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(data, f"{key!r} must be a positive integer, got {value!r}")
        return value

    def text(self, data: dict[str, Any], key: str) -> Text:
        value = data.get(key)
        if not isinstance(value, dict):
            raise self.fail(data, f"{key!r} must have 'ja' and 'en'")
        return Text(ja=self.string(value, "ja"), en=self.string(value, "en"))

    def urns(self, data: dict[str, Any], key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(data, f"{key!r} must be a list of URNs")
        return tuple(value)


def _read_nodes(
    reader: _Reader,
    items: Any,
    parent: str | None,
    parent_kind: int,
    prefix: str,
    out: list[Node],
) -> None:
    if not isinstance(items, list):
        raise LibraryError(reader.path, 0, f"children of {parent or 'the library'} must be a list")
    for raw in items:
        data = reader.mapping(raw, "a node")
        urn = reader.string(data, "urn")
        kind = reader.string(data, "kind")
        if kind not in KINDS:
            raise reader.fail(data, f"{urn}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
        if KINDS.index(kind) <= parent_kind:
            raise reader.fail(data, f"{urn}: a {kind} cannot sit under a {KINDS[parent_kind]}")
        if not urn.startswith(prefix + ":"):
            raise reader.fail(data, f"{urn}: URN must start with {prefix}:")
        strength = data.get("strength")
        if kind in PROVISION_KINDS:
            if strength not in STRENGTHS:
                raise reader.fail(
                    data,
                    f"{urn}: unknown obligation strength {strength!r} "
                    f"(one of {', '.join(STRENGTHS)})",
                )
            text, title = reader.text(data, "text"), None
        else:
            if strength is not None:
                raise reader.fail(data, f"{urn}: a {kind} has no strength of its own")
            text, title = None, reader.text(data, "title")
        external = data.get("external_refs", [])
        if not isinstance(external, list):
            raise reader.fail(data, f"{urn}: 'external_refs' must be a list")
        node = Node(
            urn=urn,
            kind=kind,
            number=reader.integer(data, "number"),
            parent=parent,
            title=title,
            text=text,
            strength=strength,
            refs=reader.urns(data, "refs"),
            external_refs=tuple(
                Text(ja=reader.string(e, "ja"), en=reader.string(e, "en")) for e in external
            ),
            line=int(data["__line__"]),
            assessable=data.get("assessable", True) is not False,
        )
        out.append(node)
        _read_nodes(reader, data.get("children", []), urn, KINDS.index(kind), prefix, out)


def _read_library(path: Path, text: str | None) -> Library:
    reader = _Reader(str(path))
    doc = reader.mapping(read_yaml(path, text), "the file")
    head = doc.get("library")
    if not isinstance(head, dict):
        raise LibraryError(reader.path, 1, "the file must start with a 'library' mapping")
    urn = reader.string(head, "urn")
    nodes: list[Node] = []
    _read_nodes(reader, doc.get("nodes", []), None, -1, urn, nodes)
    guidance: list[Guidance] = []
    for raw in doc.get("guidance", []) or []:
        data = reader.mapping(raw, "a guidance note")
        guidance.append(
            Guidance(
                urn=reader.string(data, "urn"),
                applies_to=reader.string(data, "applies_to"),
                text=reader.text(data, "text"),
                refs=reader.urns(data, "refs"),
                line=int(data["__line__"]),
            )
        )
    return Library(
        urn=urn,
        ref_id=reader.string(head, "ref_id"),
        version=reader.integer(head, "version"),
        edition=reader.string(head, "edition", required=False),
        status=reader.string(head, "status"),
        name=reader.text(head, "name"),
        publisher=reader.text(head, "publisher"),
        effective=str(head.get("effective") or ""),
        source=reader.string(head, "source", required=False),
        nodes=tuple(nodes),
        guidance=tuple(guidance),
        path=str(path),
        by_urn={n.urn: n for n in nodes},
    )


def _check_unique(libraries: Sequence[Library]) -> None:
    seen: dict[str, tuple[str, int]] = {}
    for lib in libraries:
        if lib.urn in seen:
            raise LibraryError(lib.path, 1, f"duplicate library URN {lib.urn}")
        seen[lib.urn] = (lib.path, 1)
        entries: Iterator[tuple[str, int]] = itertools.chain(
            ((n.urn, n.line) for n in lib.nodes), ((g.urn, g.line) for g in lib.guidance)
        )
        for urn, line in entries:
            if urn in seen:
                first = seen[urn]
                raise LibraryError(
                    lib.path, line, f"duplicate URN {urn} (first at {first[0]}:{first[1]})"
                )
            seen[urn] = (lib.path, line)


def _check_refs(libraries: Sequence[Library]) -> None:
    known = {lib.urn for lib in libraries} | {n.urn for lib in libraries for n in lib.nodes}
    for lib in libraries:
        for node in lib.nodes:
            for ref in node.refs:
                if ref not in known:
                    raise LibraryError(
                        lib.path, node.line, f"{node.urn}: dangling cross-reference {ref}"
                    )
        for note in lib.guidance:
            for ref in (note.applies_to, *note.refs):
                if ref not in known:
                    raise LibraryError(
                        lib.path, note.line, f"{note.urn}: dangling cross-reference {ref}"
                    )


def load_libraries(
    paths: Iterable[Path | str], texts: dict[str, str] | None = None
) -> list[Library]:
    """Read and check library files together (cross-references may span them).

    ``texts`` maps a path to its content, for checking a file before it is saved.
    """
    texts = texts or {}
    libraries = [_read_library(Path(p), texts.get(str(p))) for p in paths]
    _check_unique(libraries)
    _check_refs(libraries)
    return libraries
