"""Coverage of the rules by controls, and ``docs/traceability.md`` generated from the library.

Each requirement (a paragraph or item that obliges) is classed by the strongest kind of control
that counts for it: *measured* (an automated check of the exchange's own systems or data),
*workflow* (a register or approval in mamori), *document_only* (reviewed documents and
nothing else) or *none*. A *self* control (a check of mamori itself) is listed but never
counts. A paragraph without controls of its own is classed as its weakest item. The same
classes, counted per rule, appear in ``mamori rulebook coverage --json`` (``designed``: what
the catalogue could show; the top-level counts: what is met now, by how it is known) and in
``docs/traceability.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from mamori.engines.rulebook import Library
from mamori.engines.rulebook.status import COUNTED_KINDS
from mamori.rulebook import catalogue

__all__ = ["CLASSES", "coverage", "design_class", "traceability_markdown"]

_Key = TypeVar("_Key")

#: The classes of a requirement by the kinds of control that count for it, strongest first.
CLASSES = ("measured", "workflow", "document_only", "none")


def design_class(
    kinds: Iterable[str], children: Iterable[_Key], child_class: Callable[[_Key], str]
) -> str:
    """Return a requirement's class from its own controls' ``kinds`` or, without any that
    count, from the weakest class of its requirement ``children``."""
    counted = [k for k in kinds if k in COUNTED_KINDS]
    if counted:
        strongest = min(COUNTED_KINDS.index(k) for k in counted)
        return CLASSES[strongest]
    below = [CLASSES.index(child_class(c)) for c in children]
    return CLASSES[max(below)] if below else "none"


def coverage(with_status: bool = True) -> dict[str, Any]:
    """Return the coverage object the CLI and API print (statuses from the database).

    Per rule: ``requirements``, ``with_control`` (a control that counts), how many are met
    now ``measured``, by ``workflow``, by reviewed ``document_only`` or ``none`` (not met,
    including partly) — besides ``decided`` (compliant by an approved decision) and
    ``not_applicable`` — and ``designed`` (the classes from the catalogue alone). Per
    requirement: its controls with their kinds, mamori's own checks shown beside it, its
    status, how it is known and whether it rests only on documents.
    """
    from mamori.engines.rulebook.status import known_by
    from mamori.rulebook.models import Framework, Requirement
    from mamori.rulebook.services.status import compute

    compliance = compute() if with_status else None
    requirements = list(
        Requirement.objects.filter(is_requirement=True, removed_in__isnull=True)
        .select_related("framework")
        .prefetch_related("controls")
        .order_by("-framework__ref_id", "order")
    )
    kinds = {n.pk: [(c.code, c.kind) for c in n.controls.all()] for n in requirements}
    children: dict[int, list[int]] = {}
    for node in requirements:
        if node.parent_id is not None:
            children.setdefault(node.parent_id, []).append(node.pk)
    cache: dict[int, str] = {}

    def classed(pk: int) -> str:
        if pk not in cache:
            cache[pk] = design_class(
                (k for _, k in kinds.get(pk, [])), children.get(pk, []), classed
            )
        return cache[pk]

    by_rule: dict[str, dict[str, Any]] = {}
    for framework in Framework.objects.order_by("-ref_id"):
        by_rule[framework.ref_id] = {
            "requirements": 0,
            "with_control": 0,
            **dict.fromkeys(CLASSES, 0),
            "decided": 0,
            "not_applicable": 0,
            "designed": dict.fromkeys(CLASSES, 0),
        }
    items = []
    for node in requirements:
        own = sorted(kinds[node.pk])
        counted = [code for code, kind in own if kind != "self"]
        designed = classed(node.pk)
        status = compliance.of(node.urn) if compliance else None
        known = known_by(status) if status else None
        counts = by_rule[node.framework.ref_id]
        counts["requirements"] += 1
        counts["with_control"] += 1 if counted else 0
        counts["designed"][designed] += 1
        if known is not None:
            counts[known] += 1
        items.append(
            {
                "urn": node.urn,
                "label": node.label,
                "controls": counted,
                "kinds": {code: kind for code, kind in own if kind != "self"},
                "mamori_own_health": [code for code, kind in own if kind == "self"],
                "designed": designed,
                "only_documents": designed == "document_only",
                "status": status.value if status else None,
                "known_by": known,
            }
        )
    if compliance is None:
        for counts in by_rule.values():
            for key in (*CLASSES, "decided", "not_applicable"):
                del counts[key]
    return {
        "requirements": len(items),
        "with_control": sum(1 for i in items if i["controls"]),
        "by_rule": by_rule,
        "items": items,
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def traceability_markdown(libraries: list[Library] | None = None) -> str:
    """Return ``docs/traceability.md`` built from the shipped libraries and catalogue only."""
    libraries = libraries or catalogue.builtin_libraries()
    specs = catalogue.read_controls(libraries)
    by_urn: dict[str, list[catalogue.ControlSpec]] = {}
    for spec in specs:
        for urn in spec.satisfies:
            by_urn.setdefault(urn, []).append(spec)
    requirement_urns = {n.urn for lib in libraries for n in lib.requirements()}
    children: dict[str, list[str]] = {}
    for library in libraries:
        for node in library.nodes:
            if node.parent and node.urn in requirement_urns:
                children.setdefault(node.parent, []).append(node.urn)
    cache: dict[str, str] = {}

    def classed(urn: str) -> str:
        if urn not in cache:
            cache[urn] = design_class(
                (s.kind for s in by_urn.get(urn, [])), children.get(urn, []), classed
            )
        return cache[urn]

    out = [
        "# Traceability: JVCEA rules → mamori",
        "",
        "Generated by `mamori rulebook traceability` from `src/mamori/rulebook/library/` "
        "and each module's `controls.yaml` (rule libraries and control catalogue); do not edit "
        "by hand. A test fails when this file is out of date.",
        "",
        "Kinds of control: **measured** — an automated check of the exchange's own systems or "
        "data; **workflow** — a mamori register or approval the requirement demands, checked by "
        "mamori; **document** — evidence a person uploads and the control's owner reviews "
        "(accepted with a comment, for the requirements the reviewer confirms, valid until the "
        "next review); **self** — a check of mamori itself, listed beside a requirement as "
        "mamori's own health and never counted.",
        "",
        "Each requirement is classed by the strongest kind that counts for it: **measured**, "
        "**workflow**, **document only** or **none**; a paragraph without controls of its own "
        "takes the weakest class of its items. This is what the catalogue can show; whether it "
        "is met now is the compliance page's and `mamori rulebook coverage --json`'s answer.",
        "",
    ]
    documents_only: list[str] = []
    nothing: list[str] = []
    summary = []
    for library in sorted(libraries, key=lambda lib: lib.ref_id, reverse=True):
        requirements = library.requirements()
        counts = dict.fromkeys(CLASSES, 0)
        for node in requirements:
            counts[classed(node.urn)] += 1
        summary.append(
            f"| {library.ref_id.upper()} | {len(requirements)} | "
            + " | ".join(str(counts[c]) for c in CLASSES)
            + " |"
        )
    out += [
        "| rule | requirements | measured | workflow | document only | none |",
        "|---|---|---|---|---|---|",
        *summary,
        "",
    ]
    for library in sorted(libraries, key=lambda lib: lib.ref_id, reverse=True):
        out += [f"## {library.ref_id.upper()} — {library.name.ja}", "", f"_{library.name.en}_", ""]
        out += [
            "| provision | strength | text (en) | class | controls | mamori's own health "
            "| module | tests |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for node in library.nodes:
            label = node.label(library.ref_id)
            if node.kind in ("chapter", "section", "article"):
                assert node.title is not None
                title = (
                    f"**{_cell(node.title.en)}**"
                    if node.kind != "article"
                    else f"_{_cell(node.title.en)}_"
                )
                out.append(f"| **{label}** | | {title} | | | | | |")
                continue
            assert node.text is not None
            mine = by_urn.get(node.urn, [])
            if not node.is_requirement:
                out.append(
                    f"| {label} | {node.strength} | {_cell(node.text.en)} "
                    "| — (no obligation) | | | | |"
                )
                continue
            counted = [s for s in mine if s.kind != "self"]
            own = [s for s in mine if s.kind == "self"]
            klass = classed(node.urn)
            controls = ", ".join(f"{s.code} ({s.kind})" for s in counted) or "—"
            health = ", ".join(s.code for s in own)
            modules = ", ".join(sorted({s.module for s in counted if s.module}))
            tests = ", ".join(sorted({t for s in counted for t in s.tests}))
            shown = {"none": "**none**", "document_only": "document only"}.get(klass, klass)
            out.append(
                f"| {label} | {node.strength} | {_cell(node.text.en)} | {shown} | "
                f"{controls} | {health} | {modules} | {tests} |"
            )
            entry = f"- {label} (`{node.urn}`): " + (
                ", ".join(s.code for s in counted) or "no control"
            )
            if klass == "document_only":
                documents_only.append(entry)
            elif klass == "none":
                nothing.append(entry)
        out.append("")
    out += [
        "## Requirements shown only by documents",
        "",
        "Nothing in mamori measures or records these; they are met only by evidence a person "
        "uploads and the control's owner accepts.",
        "",
        *documents_only,
        "",
        "## Requirements with no control that counts",
        "",
        "No measured check, workflow or document shows these yet (a check of mamori itself "
        "may be listed beside them, but it does not count).",
        "",
        *nothing,
        "",
    ]
    return "\n".join(out)
