"""Software bills of materials in CycloneDX JSON 1.4–1.6 (SRM 16, 18, 19): what a build
contains, tied to the artifact it describes.

Reads ``bomFormat`` (must be ``CycloneDX``), ``specVersion``, ``serialNumber``, the
``metadata.component`` (the artifact itself) and every component, nested ones included; the
components are counted and the first ``listed`` kept with their name, version and purl.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

from mamori.engines.evidence._json import path, with_items
from mamori.engines.evidence.errors import EvidenceRefused
from mamori.engines.evidence.source import DEFAULT_LIMIT, Evidence, MeasuredReader, drain

__all__ = ["SPEC_VERSIONS", "Component", "Sbom", "parse_cyclonedx", "read_cyclonedx"]

SPEC_VERSIONS = ("1.4", "1.5", "1.6")

_METADATA = tuple(f"metadata.component.{name}" for name in ("name", "version", "purl", "type"))


@dataclass(frozen=True)
class Component:
    """A component's name, version, purl and type as the SBOM states them (empty when absent)."""

    name: str
    version: str = ""
    purl: str = ""
    type: str = ""


@dataclass(frozen=True)
class Sbom:
    """A CycloneDX BOM: its identity, the artifact it describes and its components."""

    spec_version: str
    serial_number: str
    metadata_component: Component | None
    component_count: int
    components: tuple[Component, ...]


def parse_cyclonedx(
    stream: BinaryIO, *, limit: int = DEFAULT_LIMIT, listed: int = 1000
) -> Evidence[Sbom]:
    """Summarise a CycloneDX JSON SBOM read from ``stream``; ``listed`` bounds the list kept."""
    reader = MeasuredReader(stream, limit)
    sbom = read_cyclonedx(reader, listed=listed)
    return Evidence("cyclonedx", reader.sha256, reader.size, sbom)


def _component(value: Any, where: str) -> Component:
    if not isinstance(value, dict):
        raise EvidenceRefused(
            "wrong_shape", f"expected a component object, got {type(value).__name__}", where
        )
    fields = {}
    for name in ("name", "version", "purl", "type"):
        field = value.get(name, "")
        if not isinstance(field, str):
            raise EvidenceRefused(
                "wrong_shape", f"expected a string, got {type(field).__name__}", f"{where}.{name}"
            )
        fields[name] = field[:500]
    if not fields["name"]:
        raise EvidenceRefused("wrong_shape", "expected a component name, got none", f"{where}.name")
    return Component(**fields)


def _nested(value: dict[str, Any], where: str) -> list[Component]:
    """Return the components nested in ``value`` (CycloneDX allows components of components)."""
    found: list[Component] = []
    stack = [(value.get("components", []), where)]
    while stack:
        children, at = stack.pop()
        if not isinstance(children, list):
            raise EvidenceRefused(
                "wrong_shape", "expected an array of components", f"{at}.components"
            )
        for child in children:
            found.append(_component(child, f"{at}.components[*]"))
            stack.append((child.get("components", []), f"{at}.components[*]"))
    return found


def read_cyclonedx(reader: MeasuredReader, *, listed: int = 1000) -> Sbom:
    """Summarise the CycloneDX SBOM ``reader`` yields (see :func:`parse_cyclonedx`)."""
    head: dict[str, str] = {}
    metadata: Component | None = None
    kept: list[Component] = []
    count = 0
    for prefix, event, value in with_items(reader, "components.item"):
        if prefix == "components.item":
            where = "$.components[*]"
            top = _component(value, where)
            found = [top, *_nested(value, where)]
            count += len(found)
            kept.extend(found[: max(listed - len(kept), 0)])
        elif prefix == "" and event not in ("start_map", "end_map", "map_key"):
            raise EvidenceRefused("wrong_shape", f"expected a CycloneDX object, got {event}", "$")
        elif prefix in ("bomFormat", "specVersion", "serialNumber"):
            if event != "string":
                raise EvidenceRefused(
                    "wrong_shape", f"expected a string, got {event}", path(prefix)
                )
            head[prefix] = value[:200]
        elif prefix == "components" and event not in ("start_array", "end_array"):
            raise EvidenceRefused("wrong_shape", f"expected an array, got {event}", "$.components")
        elif prefix in _METADATA:
            field = prefix.rsplit(".", 1)[1]
            if event != "string":
                raise EvidenceRefused(
                    "wrong_shape", f"expected a string, got {event}", path(prefix)
                )
            named = metadata or Component(name="")
            metadata = Component(**{**named.__dict__, field: value[:500]})
    drain(reader)
    if head.get("bomFormat") != "CycloneDX":
        raise EvidenceRefused(
            "wrong_shape",
            f"expected bomFormat CycloneDX, got {head.get('bomFormat')!r}",
            "$.bomFormat",
        )
    if head.get("specVersion") not in SPEC_VERSIONS:
        raise EvidenceRefused(
            "wrong_shape",
            f"expected specVersion {', '.join(SPEC_VERSIONS)}, got {head.get('specVersion')!r}",
            "$.specVersion",
        )
    return Sbom(
        spec_version=head["specVersion"],
        serial_number=head.get("serialNumber", ""),
        metadata_component=metadata,
        component_count=count,
        components=tuple(kept),
    )
