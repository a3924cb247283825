"""Load rule libraries into the database, new versions with their changes (SRM draft → final).

Loading a newer version of a rule keeps every assessment of unchanged requirements, marks
changed and added ones *needs review*, keeps removed ones (``removed_in``) and records each
change. A file whose content changed without a version bump, or an older version, is refused.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from mamori.accounts.models import Role
from mamori.engines.rulebook import Library, LibraryError, diff_libraries, load_libraries
from mamori.rulebook import catalogue
from mamori.rulebook.models import (
    Control,
    Framework,
    FrameworkVersion,
    Guidance,
    LibraryChange,
    Mapping,
    Requirement,
)

__all__ = ["LoadResult", "load_library_file", "sync_builtin", "sync_controls"]

log = logging.getLogger("mamori.rulebook")


@dataclass(frozen=True)
class LoadResult:
    """What loading one library did."""

    ref_id: str
    version: int
    action: str  # created | upgraded | unchanged (also: a newer version is already loaded)
    added: int = 0
    changed: int = 0
    removed: int = 0
    retranslated: int = 0


def _sha256(path: str) -> tuple[str, str]:
    text = Path(path).read_text(encoding="utf-8")
    return text, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _node_fields(library: Library, urn: str) -> dict[str, object]:
    node = library.by_urn[urn]
    return {
        "kind": node.kind,
        "number": node.number,
        "label": node.label(library.ref_id),
        "title_ja": node.title.ja if node.title else "",
        "title_en": node.title.en if node.title else "",
        "text_ja": node.text.ja if node.text else "",
        "text_en": node.text.en if node.text else "",
        "strength": node.strength or "",
        "is_requirement": node.is_requirement,
        "refs": list(node.refs),
        "external_refs": [{"ja": t.ja, "en": t.en} for t in node.external_refs],
    }


def _write_nodes(framework: Framework, library: Library, version: int) -> None:
    rows = {r.urn: r for r in Requirement.objects.filter(framework=framework)}
    for order, node in enumerate(library.nodes):
        fields = _node_fields(library, node.urn)
        row = rows.get(node.urn)
        if row is None:
            row = Requirement(
                framework=framework,
                urn=node.urn,
                version_added=version,
                version_changed=version,
                order=order,
                **fields,
            )
        else:
            for key, value in fields.items():
                setattr(row, key, value)
            row.order = order
            row.removed_in = None
        row.parent = rows.get(node.parent) if node.parent else None
        row.save()
        rows[node.urn] = row
    for note in library.guidance:
        Guidance.objects.update_or_create(
            urn=note.urn,
            defaults={
                "requirement": rows[note.applies_to],
                "text_ja": note.text.ja,
                "text_en": note.text.en,
                "refs": list(note.refs),
            },
        )


def _create(library: Library, source: str, sha: str) -> LoadResult:
    framework = Framework.objects.create(
        urn=library.urn,
        ref_id=library.ref_id,
        name_ja=library.name.ja,
        name_en=library.name.en,
        version=library.version,
        edition=library.edition,
        status=library.status,
        effective=library.effective,
    )
    FrameworkVersion.objects.create(
        framework=framework,
        version=library.version,
        source=source,
        sha256=sha,
        loaded_at=timezone.now(),
        summary={"nodes": len(library.nodes), "requirements": len(library.requirements())},
    )
    _write_nodes(framework, library, library.version)
    return LoadResult(library.ref_id, library.version, "created")


def _upgrade(framework: Framework, old: Library, new: Library, source: str, sha: str) -> LoadResult:
    changes = diff_libraries(old, new)
    counts = {kind: sum(1 for c in changes if c.kind == kind) for kind in _CHANGE_KINDS}
    version = FrameworkVersion.objects.create(
        framework=framework,
        version=new.version,
        source=source,
        sha256=sha,
        loaded_at=timezone.now(),
        summary={"nodes": len(new.nodes), "requirements": len(new.requirements()), **counts},
    )
    _write_nodes(framework, new, new.version)
    for change in changes:
        LibraryChange.objects.create(
            version=version,
            urn=change.urn,
            kind=change.kind,
            fields=list(change.fields),
            old_ja=_ja(change.old),
            new_ja=_ja(change.new),
        )
        row = Requirement.objects.get(urn=change.urn)
        if change.kind == "removed":
            row.removed_in = new.version
        if change.needs_review:
            row.needs_review = True
            row.version_changed = new.version
            what = "added" if change.kind == "added" else "changed: " + ", ".join(change.fields)
            row.review_reason = f"v{new.version}: {what}"[:300]
        row.save()
    Framework.objects.filter(pk=framework.pk).update(
        version=new.version,
        edition=new.edition,
        status=new.status,
        effective=new.effective,
        name_ja=new.name.ja,
        name_en=new.name.en,
    )
    return LoadResult(new.ref_id, new.version, "upgraded", **counts)


_CHANGE_KINDS = ("added", "changed", "removed", "retranslated")


def _ja(node: object) -> str:
    if node is None:
        return ""
    text = getattr(node, "text", None) or getattr(node, "title", None)
    return str(text.ja) if text else ""


def _stored(framework: Framework) -> Library:
    """Rebuild the loaded version of ``framework`` from its stored source (with the others,
    which its cross-references may point into)."""
    texts: dict[str, str] = {}
    for row in Framework.objects.all():
        newest = row.versions.order_by("-version").first()
        if newest is not None:
            texts[f"<stored {row.ref_id} v{newest.version}>"] = newest.source
    libraries = load_libraries(list(texts), texts=texts)
    return next(lib for lib in libraries if lib.urn == framework.urn)


def _load(libraries: list[Library], newer_kept: bool = False) -> list[LoadResult]:
    results = []
    for library in libraries:
        source, sha = _sha256(library.path)
        framework = Framework.objects.filter(urn=library.urn).first()
        if framework is None:
            results.append(_create(library, source, sha))
            continue
        if library.version < framework.version and newer_kept:
            results.append(LoadResult(library.ref_id, framework.version, "unchanged"))
            continue
        if library.version < framework.version:
            raise LibraryError(
                library.path,
                1,
                f"version {library.version} is older than the loaded version {framework.version}",
            )
        if library.version == framework.version:
            current = framework.versions.get(version=framework.version)
            if current.sha256 != sha:
                raise LibraryError(
                    library.path,
                    1,
                    f"the content of version {library.version} changed: raise 'version' to load it",
                )
            results.append(LoadResult(library.ref_id, library.version, "unchanged"))
            continue
        results.append(_upgrade(framework, _stored(framework), library, source, sha))
    return results


def sync_controls(libraries: list[Library]) -> int:
    """Create or update the controls and mappings of the shipped catalogue."""
    specs = catalogue.read_controls(libraries)
    by_urn = {r.urn: r for r in Requirement.objects.all()}
    roles = {r.code: r for r in Role.objects.all()}
    for spec in specs:
        if spec.owner not in roles:
            raise LibraryError(
                spec.path,
                spec.line,
                f"{spec.code}: unknown owner role {spec.owner!r}",
            )
        fields = {
            "kind": spec.kind,
            "name_ja": spec.name[0],
            "name_en": spec.name[1],
            "description_ja": spec.description[0],
            "description_en": spec.description[1],
            "check_code": spec.check,
            "check_params": spec.params,
            "owner_role": roles[spec.owner],
            "review_days": spec.review_days,
            "run_every_hours": spec.run_every_hours,
            "evidence_valid_days": spec.evidence_valid_days,
            "module": spec.module,
            "tests": list(spec.tests),
        }
        control = Control.objects.filter(code=spec.code).first()
        if control is None:
            control = Control.objects.create(code=spec.code, **fields)
        elif any(getattr(control, k) != v for k, v in fields.items()):
            for key, value in fields.items():
                setattr(control, key, value)
            control.save()
        wanted = {by_urn[u].pk for u in spec.satisfies}
        if set(control.requirements.values_list("pk", flat=True)) != wanted:
            control.requirements.set(wanted)
    for mapping in catalogue.read_mappings(libraries):
        row, created = Mapping.objects.get_or_create(
            requirement=by_urn[mapping.urn],
            target_framework=mapping.framework,
            target_id=mapping.target,
            defaults={"target_title": mapping.title, "relationship": mapping.relationship},
        )
        if not created and (row.target_title, row.relationship) != (
            mapping.title,
            mapping.relationship,
        ):
            row.target_title, row.relationship = mapping.title, mapping.relationship
            row.save()
    return len(specs)


def sync_builtin() -> list[LoadResult]:
    """Load the shipped rule libraries and control catalogue (idempotent)."""
    libraries = catalogue.builtin_libraries()
    with transaction.atomic():
        results = _load(libraries, newer_kept=True)
        sync_controls(libraries)  # saves only what the catalogue changed (kinds, mappings)
    for result in results:
        if result.action != "unchanged":
            log.info("rule library %s v%s %s", result.ref_id, result.version, result.action)
    return results


def load_library_file(path: Path) -> LoadResult:
    """Load a newer version of one rule from ``path``, checked with the other shipped rules."""
    from mamori.engines.rulebook import read_yaml

    head = read_yaml(path).get("library") or {}
    others = []
    for shipped in sorted(catalogue.LIBRARY_DIR.glob("jvcea-*.yaml")):
        if (read_yaml(shipped).get("library") or {}).get("urn") != head.get("urn"):
            others.append(shipped)
    libraries = load_libraries([path, *others])
    with transaction.atomic():
        (result,) = _load(libraries[:1])
    return result
