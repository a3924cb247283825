"""Which evidence format a file is, from its first bytes or from the caller's word (SRM 15, 16,
18, 19, 20), and the one entry point that parses any of them.

XML is told apart by its root element (``testsuites``/``testsuite``: JUnit; ``coverage``:
Cobertura; ``report``: JaCoCo); JSON by the keys near its start (``runs``: SARIF;
``bomFormat``: CycloneDX; ``dependencies`` with ``vulns``: pip-audit; ``results`` with
``packages``: OSV-Scanner; ``deployment_status``: GitHub; ``"object_kind": "deployment"``:
GitLab).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, BinaryIO

from mamori.engines.evidence.coverage import read_cobertura, read_jacoco
from mamori.engines.evidence.deploy import read_deployment
from mamori.engines.evidence.errors import EvidenceRefused
from mamori.engines.evidence.junit import read_junit
from mamori.engines.evidence.sarif import read_sarif
from mamori.engines.evidence.sbom import read_cyclonedx
from mamori.engines.evidence.source import DEFAULT_LIMIT, Evidence, MeasuredReader, peeked
from mamori.engines.evidence.vulns import read_osv, read_pip_audit

__all__ = ["FORMATS", "detect_format", "parse_evidence"]

_READERS: dict[str, Callable[[MeasuredReader], Any]] = {
    "junit": read_junit,
    "cobertura": read_cobertura,
    "jacoco": read_jacoco,
    "sarif": read_sarif,
    "cyclonedx": read_cyclonedx,
    "pip-audit": read_pip_audit,
    "osv": read_osv,
    "github-deployment": read_deployment,
    "gitlab-deployment": read_deployment,
}

#: Every format :func:`parse_evidence` reads.
FORMATS: tuple[str, ...] = tuple(_READERS)

_XML_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_XML_SKIP = re.compile(rb"\s*(<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>)", re.DOTALL)
_ROOTS = {
    b"testsuites": "junit",
    b"testsuite": "junit",
    b"coverage": "cobertura",
    b"report": "jacoco",
}


def _key(head: bytes, name: str) -> bool:
    return re.search(rb'"' + re.escape(name.encode()) + rb'"\s*:', head) is not None


def detect_format(head: bytes) -> str:
    """Return the format of a file starting with ``head``; refuse one not recognised."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<"):
        position = 0
        while skipped := _XML_SKIP.match(text, position):
            position = skipped.end()
        root = _XML_ROOT.match(
            text, position + len(text[position:]) - len(text[position:].lstrip())
        )
        if root and root.group(2) in _ROOTS:
            return _ROOTS[root.group(2)]
        name = root.group(2).decode("ascii", "replace") if root else "?"
        raise EvidenceRefused(
            "unknown_format", f"expected a JUnit, Cobertura or JaCoCo root, got <{name}>", "line 1"
        )
    if text.startswith(b"{"):
        checks = (
            ("sarif", _key(text, "runs") and (_key(text, "version") or _key(text, "$schema"))),
            ("cyclonedx", _key(text, "bomFormat")),
            ("github-deployment", _key(text, "deployment_status")),
            (
                "gitlab-deployment",
                re.search(rb'"object_kind"\s*:\s*"deployment"', text) is not None,
            ),
            ("pip-audit", _key(text, "dependencies") and _key(text, "vulns")),
            ("osv", _key(text, "results") and _key(text, "packages")),
        )
        for name, hit in checks:
            if hit:
                return name
    raise EvidenceRefused(
        "unknown_format",
        "expected JUnit, Cobertura, JaCoCo, SARIF, CycloneDX, pip-audit, OSV or a deployment event",
        "byte 0",
    )


def parse_evidence(
    stream: BinaryIO, fmt: str | None = None, *, limit: int = DEFAULT_LIMIT
) -> Evidence[Any]:
    """Parse ``stream`` as ``fmt`` (detected from its first 64 KiB when ``None``)."""
    if fmt is not None and fmt not in _READERS:
        raise EvidenceRefused(
            "unknown_format", f"expected one of {', '.join(FORMATS)}, got {fmt!r}"
        )
    reader, head = peeked(stream, limit, 65536)
    fmt = fmt or detect_format(head)
    summary = _READERS[fmt](reader)
    if fmt.endswith("-deployment") and not fmt.startswith(summary.source):
        raise EvidenceRefused(
            "wrong_shape", f"expected a {fmt} event, got a {summary.source} one", "$"
        )
    return Evidence(fmt, reader.sha256, reader.size, summary)
