"""Code coverage from Cobertura and JaCoCo XML (SRM 15, 16, 19): a quality criterion measured,
as exact fractions.

Cobertura (coverage.py's ``coverage xml``, gcovr, many others): the root ``<coverage>`` states
``lines-valid``/``lines-covered`` and ``branches-valid``/``branches-covered``, and the rounded
``line-rate``/``branch-rate``; the counts are used when present, the stated rate otherwise.
JaCoCo: the report-level ``<counter type="LINE|BRANCH|INSTRUCTION" missed covered>`` elements
(children of ``<report>``; the package and class counters below them are not added again).
Rates are :class:`fractions.Fraction` — a criterion "coverage ≥ 80 %" compares exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import BinaryIO

from mamori.engines.evidence._values import as_count, as_decimal
from mamori.engines.evidence._xml import local, parse_xml
from mamori.engines.evidence.errors import EvidenceRefused
from mamori.engines.evidence.source import DEFAULT_LIMIT, Evidence, MeasuredReader, drain, peeked

__all__ = ["Coverage", "parse_coverage", "read_cobertura", "read_jacoco"]


@dataclass(frozen=True)
class Coverage:
    """Covered and total lines, branches and (JaCoCo) instructions; ``None`` when not stated."""

    format: str
    lines_covered: int | None
    lines_valid: int | None
    branches_covered: int | None
    branches_valid: int | None
    line_rate: Fraction | None
    branch_rate: Fraction | None
    instructions_covered: int | None = None
    instructions_valid: int | None = None


def parse_coverage(stream: BinaryIO, *, limit: int = DEFAULT_LIMIT) -> Evidence[Coverage]:
    """Summarise a Cobertura or JaCoCo report read from ``stream`` (told apart by its root)."""
    reader, head = peeked(stream, limit)
    kind = "jacoco" if b"<report" in head and b"<coverage" not in head else "cobertura"
    summary = read_jacoco(reader) if kind == "jacoco" else read_cobertura(reader)
    return Evidence(kind, reader.sha256, reader.size, summary)


def _rate(covered: int | None, valid: int | None) -> Fraction | None:
    if covered is None or valid is None or valid == 0:
        return None
    if covered > valid:
        raise EvidenceRefused(
            "wrong_shape", f"expected at most {valid} covered, got {covered}", "<coverage>"
        )
    return Fraction(covered, valid)


def _check_counts(covered: int | None, valid: int | None, what: str) -> None:
    """Refuse ``<what>-covered`` without ``<what>-valid`` or above it: a report claiming
    covered lines it does not count would raise a build's coverage when reports are summed."""
    if covered is None:
        return
    if valid is None:
        raise EvidenceRefused(
            "wrong_shape",
            f"expected {what}-valid beside {what}-covered, got none",
            f"<coverage> {what}-valid",
        )
    if covered > valid:
        raise EvidenceRefused(
            "wrong_shape",
            f"expected at most {valid} {what} covered, got {covered}",
            f"<coverage> {what}-covered",
        )


def read_cobertura(reader: MeasuredReader) -> Coverage:
    """Summarise the Cobertura XML ``reader`` yields."""
    roots: list[dict[str, str]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if not roots:
            if local(tag) != "coverage":
                raise EvidenceRefused(
                    "wrong_shape", f"expected a <coverage> root, got <{local(tag)}>", "element 1"
                )
            roots.append(attrs)

    parse_xml(reader, start)
    drain(reader)
    root = roots[0] if roots else {}

    def count(name: str) -> int | None:
        text = root.get(name)
        return None if text is None else as_count(text, f"<coverage> {name}")

    def stated(name: str) -> Fraction | None:
        text = root.get(name)
        if text is None:
            return None
        rate = Fraction(as_decimal(text, f"<coverage> {name}"))
        if rate > 1:
            raise EvidenceRefused(
                "wrong_shape", f"expected a rate at most 1, got {text!r}", f"<coverage> {name}"
            )
        return rate

    lines = (count("lines-covered"), count("lines-valid"))
    branches = (count("branches-covered"), count("branches-valid"))
    _check_counts(*lines, "lines")
    _check_counts(*branches, "branches")
    return Coverage(
        format="cobertura",
        lines_covered=lines[0],
        lines_valid=lines[1],
        branches_covered=branches[0],
        branches_valid=branches[1],
        line_rate=_rate(*lines) if lines[1] else stated("line-rate"),
        branch_rate=_rate(*branches) if branches[1] else stated("branch-rate"),
    )


def read_jacoco(reader: MeasuredReader) -> Coverage:
    """Summarise the JaCoCo XML ``reader`` yields."""
    counters: dict[str, tuple[int, int]] = {}
    depth = [0]

    def start(tag: str, attrs: dict[str, str]) -> None:
        depth[0] += 1
        if depth[0] == 1 and local(tag) != "report":
            raise EvidenceRefused(
                "wrong_shape", f"expected a <report> root, got <{local(tag)}>", "element 1"
            )
        if depth[0] == 2 and local(tag) == "counter":
            kind = attrs.get("type", "")
            where = f"<report><counter type={kind!r}>"
            missed = as_count(attrs.get("missed"), f"{where} missed")
            covered = as_count(attrs.get("covered"), f"{where} covered")
            counters[kind] = (covered, missed + covered)

    def end(tag: str) -> None:
        depth[0] -= 1

    parse_xml(reader, start, end)
    drain(reader)
    if not counters:
        raise EvidenceRefused(
            "wrong_shape", "expected report-level <counter> elements, got none", "<report>"
        )
    line = counters.get("LINE", (None, None))
    branch = counters.get("BRANCH", (None, None))
    instruction = counters.get("INSTRUCTION", (None, None))
    return Coverage(
        format="jacoco",
        lines_covered=line[0],
        lines_valid=line[1],
        branches_covered=branch[0],
        branches_valid=branch[1],
        line_rate=_rate(*line),
        branch_rate=_rate(*branch),
        instructions_covered=instruction[0],
        instructions_valid=instruction[1],
    )
