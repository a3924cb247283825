"""Read the control catalogue and the framework mappings shipped with the rulebook."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mamori.engines.rulebook import Library, LibraryError, load_libraries, read_yaml

__all__ = [
    "LIBRARY_DIR",
    "ControlSpec",
    "MappingSpec",
    "builtin_libraries",
    "control_files",
    "expand",
    "read_controls",
    "read_mappings",
]

LIBRARY_DIR = Path(__file__).resolve().parent / "library"
KINDS = ("measured", "workflow", "document", "self")
RELATIONSHIPS = ("equal", "subset", "superset", "intersect")
_PREFIX = "urn:mamori:jvcea:"


@dataclass(frozen=True)
class ControlSpec:
    """A control as the catalogue defines it."""

    code: str
    kind: str
    name: tuple[str, str]
    description: tuple[str, str]
    check: str
    params: dict[str, Any]
    owner: str
    review_days: int
    run_every_hours: int | None
    evidence_valid_days: int | None
    module: str
    tests: tuple[str, ...]
    satisfies: tuple[str, ...]
    line: int
    path: str = ""


@dataclass(frozen=True)
class MappingSpec:
    """A requirement mapped to an item of another framework."""

    urn: str
    framework: str
    target: str
    title: str
    relationship: str


def builtin_libraries() -> list[Library]:
    """Read the rule libraries shipped in ``library/`` (``jvcea-*.yaml``)."""
    return load_libraries(sorted(LIBRARY_DIR.glob("jvcea-*.yaml")))


def expand(pattern: str, libraries: list[Library]) -> list[str]:
    """Turn ``ism:art27:p2`` or ``ism:art27:*`` into full URNs that exist in ``libraries``."""
    urn = pattern if pattern.startswith("urn:") else _PREFIX + pattern
    nodes = {n.urn: n for lib in libraries for n in lib.nodes}
    if urn.endswith(":*"):
        base = urn[:-2]
        if base not in nodes:
            return []
        return [
            u
            for u, n in nodes.items()
            if (u == base or u.startswith(base + ":")) and n.kind in ("paragraph", "item")
        ]
    return [urn] if urn in nodes else []


def _text(data: dict[str, Any], key: str, path: str) -> tuple[str, str]:
    value = data.get(key)
    if not isinstance(value, dict) or not value.get("ja") or not value.get("en"):
        raise LibraryError(path, data.get("__line__", 0), f"{key!r} must have 'ja' and 'en'")
    return str(value["ja"]), str(value["en"])


def control_files() -> list[Path]:
    """Return the rulebook's catalogue and every installed module's ``controls.yaml``."""
    files = [LIBRARY_DIR / "controls.yaml"]
    try:
        from django.apps import apps

        folders = [Path(config.path) for config in apps.get_app_configs()]
    except Exception:  # Django not configured: the modules shipped with mamori
        folders = sorted(p for p in LIBRARY_DIR.parent.parent.iterdir() if p.is_dir())
    for folder in folders:
        candidate = folder / "controls.yaml"
        if candidate.is_file() and candidate not in files:
            files.append(candidate)
    return files


def read_controls(libraries: list[Library], paths: list[Path] | None = None) -> list[ControlSpec]:
    """Read and check the control catalogue files; every URN must exist in ``libraries``
    and a control code may be defined once across all files."""
    specs: list[ControlSpec] = []
    seen: dict[str, str] = {}
    for path in paths or control_files():
        specs.extend(_read_control_file(libraries, path, seen))
    return specs


def _read_control_file(
    libraries: list[Library], path: Path, seen: dict[str, str]
) -> list[ControlSpec]:
    name = str(path)
    doc = read_yaml(path)
    specs: list[ControlSpec] = []
    for data in doc.get("controls", []) or []:
        line = data.get("__line__", 0)
        code = str(data.get("code", ""))
        if not code or code in seen:
            where = f" (also in {seen[code]})" if code in seen else ""
            raise LibraryError(name, line, f"missing or duplicate control code {code!r}{where}")
        seen[code] = name
        kind = data.get("kind")
        if kind not in KINDS:
            raise LibraryError(name, line, f"{code}: unknown kind {kind!r}")
        if kind != "document" and not data.get("check"):
            raise LibraryError(name, line, f"{code}: an {kind} control needs a 'check'")
        if kind != "document" and not data.get("run_every_hours"):
            raise LibraryError(name, line, f"{code}: an {kind} control needs 'run_every_hours'")
        if kind == "document" and not data.get("evidence_valid_days"):
            raise LibraryError(name, line, f"{code}: a document needs 'evidence_valid_days'")
        urns: list[str] = []
        for pattern in data.get("satisfies", []):
            found = expand(str(pattern), libraries)
            if not found:
                raise LibraryError(name, line, f"{code}: dangling requirement {pattern}")
            urns.extend(u for u in found if u not in urns)
        params = {k: v for k, v in (data.get("params") or {}).items() if k != "__line__"}
        specs.append(
            ControlSpec(
                code=code,
                kind=str(kind),
                name=_text(data, "name", name),
                description=_text(data, "description", name),
                check=str(data.get("check") or ""),
                params=params,
                owner=str(data.get("owner", "")),
                review_days=int(data.get("review_days", 365)),
                run_every_hours=data.get("run_every_hours"),
                evidence_valid_days=data.get("evidence_valid_days"),
                module=str(data.get("module") or ""),
                tests=tuple(data.get("tests") or ()),
                satisfies=tuple(urns),
                line=line,
                path=name,
            )
        )
    return specs


def read_mappings(libraries: list[Library], path: Path | None = None) -> list[MappingSpec]:
    """Read the mapping of requirements to NIST CSF 2.0 subcategories."""
    path = path or LIBRARY_DIR / "mapping-nist-csf-2.0.yaml"
    name = str(path)
    doc = read_yaml(path)
    framework = str(doc.get("target_framework", ""))
    titles = {
        str(k): str(v) for k, v in (doc.get("subcategories") or {}).items() if k != "__line__"
    }
    out: list[MappingSpec] = []
    for data in doc.get("mappings", []):
        line = data.get("__line__", 0)
        relationship = data.get("relationship")
        if relationship not in RELATIONSHIPS:
            raise LibraryError(name, line, f"unknown relationship {relationship!r}")
        targets = data.get("targets") or []
        for target in targets:
            if target not in titles:
                raise LibraryError(name, line, f"unknown subcategory {target!r}")
        found = expand(str(data.get("source", "")), libraries)
        if not found:
            raise LibraryError(name, line, f"dangling requirement {data.get('source')}")
        for urn in found:
            for target in targets:
                out.append(MappingSpec(urn, framework, target, titles[target], str(relationship)))
    return out
