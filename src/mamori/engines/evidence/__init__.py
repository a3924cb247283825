"""Evidence engine (SRM 15, 16, 18, 19, 20): streaming parsers for what the delivery pipeline
produces — JUnit test reports, Cobertura/JaCoCo coverage, SARIF findings, CycloneDX SBOMs,
pip-audit/OSV vulnerability reports and GitHub/GitLab deployment events — each summarised in a
frozen dataclass with the SHA-256 of exactly the bytes parsed, or refused with
:class:`EvidenceRefused`. Framework-free."""

from mamori.engines.evidence.coverage import Coverage, parse_coverage
from mamori.engines.evidence.deploy import DeploymentEvent, parse_deployment
from mamori.engines.evidence.detect import FORMATS, detect_format, parse_evidence
from mamori.engines.evidence.errors import EvidenceRefused
from mamori.engines.evidence.junit import JUnitReport, parse_junit
from mamori.engines.evidence.sarif import LEVELS, SarifReport, parse_sarif
from mamori.engines.evidence.sbom import Component, Sbom, parse_cyclonedx
from mamori.engines.evidence.source import DEFAULT_LIMIT, Evidence, MeasuredReader
from mamori.engines.evidence.vulns import (
    SEVERITIES,
    Finding,
    VulnerabilityReport,
    parse_vulnerabilities,
)

__all__ = [
    "DEFAULT_LIMIT",
    "FORMATS",
    "LEVELS",
    "SEVERITIES",
    "Component",
    "Coverage",
    "DeploymentEvent",
    "Evidence",
    "EvidenceRefused",
    "Finding",
    "JUnitReport",
    "MeasuredReader",
    "SarifReport",
    "Sbom",
    "VulnerabilityReport",
    "detect_format",
    "parse_coverage",
    "parse_cyclonedx",
    "parse_deployment",
    "parse_evidence",
    "parse_junit",
    "parse_sarif",
    "parse_vulnerabilities",
]
