"""Known vulnerabilities in a build's dependencies (SRM 16, 18, 19): pip-audit and OSV-Scanner
JSON reports, counted by severity.

pip-audit (``pip-audit -f json``): ``{"dependencies": [{"name", "version", "vulns": [{"id",
"fix_versions", "aliases"}]}]}`` — it states no severity, so its findings are ``unknown``
until a reviewer grades them. OSV-Scanner (``osv-scanner --format json``):
``results[].packages[]`` with ``vulnerabilities[]``; a vulnerability's severity is its
``database_specific.severity`` (GitHub's CRITICAL/HIGH/MODERATE/LOW), else the package group's
``max_severity`` CVSS score, else a numeric ``severity[].score``; a CVSS vector alone is not
scored here (``unknown``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, BinaryIO

from mamori.engines.evidence._json import with_items
from mamori.engines.evidence.errors import EvidenceRefused
from mamori.engines.evidence.source import DEFAULT_LIMIT, Evidence, MeasuredReader, drain

__all__ = [
    "SEVERITIES",
    "Finding",
    "VulnerabilityReport",
    "parse_vulnerabilities",
    "read_osv",
    "read_pip_audit",
]

#: Severity buckets, most severe first.
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "unknown")

_NAMED = {
    "CRITICAL": "critical",
    "HIGH": "high",
    "MODERATE": "medium",
    "MEDIUM": "medium",
    "LOW": "low",
}


@dataclass(frozen=True)
class Finding:
    """One vulnerability of one package version."""

    package: str
    version: str
    id: str
    severity: str
    aliases: tuple[str, ...] = ()
    fix_versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class VulnerabilityReport:
    """Packages scanned, vulnerabilities by severity, and the first ``listed`` findings."""

    format: str
    packages: int
    vulnerable_packages: int
    vulnerabilities: int
    severities: MappingProxyType[str, int]
    findings: tuple[Finding, ...]


def parse_vulnerabilities(
    stream: BinaryIO, fmt: str, *, limit: int = DEFAULT_LIMIT, listed: int = 1000
) -> Evidence[VulnerabilityReport]:
    """Summarise a ``pip-audit`` or ``osv`` JSON report read from ``stream``."""
    reader = MeasuredReader(stream, limit)
    read = {"pip-audit": read_pip_audit, "osv": read_osv}.get(fmt)
    if read is None:
        raise ValueError(f"expected pip-audit or osv, got {fmt!r}")
    report = read(reader, listed=listed)
    return Evidence(fmt, reader.sha256, reader.size, report)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise EvidenceRefused("wrong_shape", "expected an array of strings", where)
    return tuple(item[:200] for item in value[:50])


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise EvidenceRefused(
            "wrong_shape", f"expected a string, got {type(value).__name__}", where
        )
    return value[:500]


def _score(text: Any) -> str:
    try:
        score = Decimal(str(text)) if len(str(text)) < 10 else Decimal("NaN")
    except InvalidOperation:
        return "unknown"
    if not score.is_finite() or score <= 0 or score > 10:
        return "unknown"
    return "critical" if score >= 9 else "high" if score >= 7 else "medium" if score >= 4 else "low"


def _summarise(
    fmt: str,
    reader: MeasuredReader,
    root_key: str,
    item: str,
    read: Callable[[Any, str], Iterator[Finding]],
    listed: int,
) -> VulnerabilityReport:
    severities = dict.fromkeys(SEVERITIES, 0)
    findings: list[Finding] = []
    packages = vulnerable = 0
    seen_root = False
    for prefix, event, value in with_items(reader, item):
        if prefix == item:
            packages += 1
            found = list(read(value, f"$.{item.replace('.item', '[*]')}"))
            vulnerable += bool(found)
            for finding in found:
                severities[finding.severity] += 1
            findings.extend(found[: max(listed - len(findings), 0)])
        elif prefix == "" and event not in ("start_map", "end_map", "map_key"):
            raise EvidenceRefused(
                "wrong_shape", f"expected a {fmt} report object, got {event}", "$"
            )
        elif prefix == root_key:
            seen_root = True
            if event not in ("start_array", "end_array"):
                raise EvidenceRefused(
                    "wrong_shape", f"expected an array, got {event}", f"$.{root_key}"
                )
        elif (
            prefix.startswith(f"{root_key}.item")
            and prefix.count(".") == 1
            and event
            not in (
                "start_map",
                "end_map",
                "map_key",
            )
        ):
            raise EvidenceRefused(
                "wrong_shape", f"expected an object, got {event}", f"$.{root_key}[*]"
            )
    drain(reader)
    if not seen_root:
        raise EvidenceRefused(
            "wrong_shape", f"expected a {fmt} report with {root_key}, got none", f"$.{root_key}"
        )
    return VulnerabilityReport(
        format=fmt,
        packages=packages,
        vulnerable_packages=vulnerable,
        vulnerabilities=sum(severities.values()),
        severities=MappingProxyType(severities),
        findings=tuple(findings),
    )


def read_pip_audit(reader: MeasuredReader, *, listed: int = 1000) -> VulnerabilityReport:
    """Summarise the pip-audit JSON report ``reader`` yields."""
    return _summarise(
        "pip-audit", reader, "dependencies", "dependencies.item", _pip_audit_findings, listed
    )


def _pip_audit_findings(value: Any, where: str) -> Iterator[Finding]:
    if not isinstance(value, dict):
        raise EvidenceRefused("wrong_shape", "expected a dependency object", where)
    name = _text(value.get("name"), f"{where}.name")
    version = _text(value.get("version", ""), f"{where}.version")
    vulns = value.get("vulns", [])
    if not isinstance(vulns, list):
        raise EvidenceRefused("wrong_shape", "expected an array", f"{where}.vulns")
    for vuln in vulns:
        at = f"{where}.vulns[*]"
        if not isinstance(vuln, dict):
            raise EvidenceRefused("wrong_shape", "expected a vulnerability object", at)
        yield Finding(
            package=name,
            version=version,
            id=_text(vuln.get("id"), f"{at}.id"),
            severity="unknown",
            aliases=_strings(vuln.get("aliases"), f"{at}.aliases"),
            fix_versions=_strings(vuln.get("fix_versions"), f"{at}.fix_versions"),
        )


def read_osv(reader: MeasuredReader, *, listed: int = 1000) -> VulnerabilityReport:
    """Summarise the OSV-Scanner JSON report ``reader`` yields."""
    return _summarise("osv", reader, "results", "results.item.packages.item", _osv_findings, listed)


def _osv_findings(value: Any, where: str) -> Iterator[Finding]:
    if not isinstance(value, dict) or not isinstance(value.get("package"), dict):
        raise EvidenceRefused("wrong_shape", "expected a package object with a package", where)
    package = value["package"]
    name = _text(package.get("name"), f"{where}.package.name")
    version = _text(package.get("version", ""), f"{where}.package.version")
    groups: dict[str, str] = {}
    for group in value.get("groups") or []:
        if isinstance(group, dict) and group.get("max_severity"):
            for ident in _strings(group.get("ids"), f"{where}.groups[*].ids"):
                groups[ident] = _score(group["max_severity"])
    vulns = value.get("vulnerabilities", [])
    if not isinstance(vulns, list):
        raise EvidenceRefused("wrong_shape", "expected an array", f"{where}.vulnerabilities")
    for vuln in vulns:
        at = f"{where}.vulnerabilities[*]"
        if not isinstance(vuln, dict):
            raise EvidenceRefused("wrong_shape", "expected a vulnerability object", at)
        ident = _text(vuln.get("id"), f"{at}.id")
        yield Finding(
            package=name,
            version=version,
            id=ident,
            severity=_osv_severity(vuln, groups.get(ident, "unknown")),
            aliases=_strings(vuln.get("aliases"), f"{at}.aliases"),
        )


def _osv_severity(vuln: dict[str, Any], grouped: str) -> str:
    specific = vuln.get("database_specific")
    named = specific.get("severity") if isinstance(specific, dict) else None
    if isinstance(named, str) and named.upper() in _NAMED:
        return _NAMED[named.upper()]
    if grouped != "unknown":
        return grouped
    for entry in vuln.get("severity") or []:
        if isinstance(entry, dict) and _score(entry.get("score")) != "unknown":
            return _score(entry.get("score"))
    return "unknown"
