"""JUnit XML test reports (SRM 15, 16, 19): what the pipeline's tests said, summarised.

Reads the reports pytest (``--junitxml``), Maven surefire and most CI tools write: a
``<testsuites>`` root or a bare ``<testsuite>``, suites nested or not. The counts come from the
``<testcase>`` elements themselves (a case with ``<failure>`` failed, with ``<error>`` erred,
with ``<skipped>`` was skipped), so a suite whose attributes disagree with its cases cannot
overstate a pass. The time is the outermost suites' ``time`` (the root's when it has one),
or the cases' sum when no suite states one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

from mamori.engines.evidence._values import as_decimal
from mamori.engines.evidence._xml import local, parse_xml
from mamori.engines.evidence.errors import EvidenceRefused
from mamori.engines.evidence.source import DEFAULT_LIMIT, Evidence, MeasuredReader, drain

__all__ = ["JUnitReport", "parse_junit", "read_junit"]

_ROOTS = ("testsuites", "testsuite")
_OUTCOMES = {"failure": "failures", "error": "errors", "skipped": "skipped"}


@dataclass(frozen=True)
class JUnitReport:
    """Counts of a test run; ``failing`` names at most ``names`` failed or erred tests."""

    suites: int
    tests: int
    failures: int
    errors: int
    skipped: int
    time: Decimal
    failing: tuple[str, ...]
    failing_count: int

    @property
    def passed(self) -> int:
        """Return the tests that neither failed, erred nor were skipped."""
        return self.tests - self.failures - self.errors - self.skipped


def parse_junit(
    stream: BinaryIO, *, limit: int = DEFAULT_LIMIT, names: int = 100
) -> Evidence[JUnitReport]:
    """Summarise a JUnit XML report read from ``stream``; refuse anything else."""
    reader = MeasuredReader(stream, limit)
    report = read_junit(reader, names=names)
    return Evidence("junit", reader.sha256, reader.size, report)


def read_junit(reader: MeasuredReader, *, names: int = 100) -> JUnitReport:
    """Summarise the JUnit XML report ``reader`` yields (see :func:`parse_junit`)."""
    tally = _Tally(names)
    parse_xml(reader, tally.start, tally.end)
    drain(reader)
    if not tally.elements:
        raise EvidenceRefused(
            "wrong_shape", "expected a <testsuites> or <testsuite> root", "byte 0"
        )
    return JUnitReport(
        suites=tally.suites,
        tests=tally.tests,
        failures=tally.counts["failures"],
        errors=tally.counts["errors"],
        skipped=tally.counts["skipped"],
        time=tally.suite_time if tally.timed else tally.case_time,
        failing=tuple(tally.failing),
        failing_count=tally.counts["failures"] + tally.counts["errors"],
    )


class _Tally:
    """Counts kept while the elements stream past: open suites, the open case, its outcome."""

    def __init__(self, names: int) -> None:
        self.names = names
        self.counts = {"failures": 0, "errors": 0, "skipped": 0}
        self.failing: list[str] = []
        self.suites = self.tests = self.elements = 0
        self.suite_time = self.case_time = Decimal(0)
        self.timed = False
        self.covered: list[bool] = []  # per open suite: does it or one around it state the time?
        self.depth = 0
        self.case_depth = 0  # depth of the open <testcase>, 0 when none is open
        self.case: tuple[str, str] = ("", "")
        self.outcome = ""

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        self.elements += 1
        if ":" in tag:
            tag = local(tag)
        if self.depth == 1 and tag not in _ROOTS:
            raise EvidenceRefused(
                "wrong_shape",
                f"expected a <testsuites> or <testsuite> root, got <{tag}>",
                "element 1",
            )
        if self.case_depth:
            if tag in _OUTCOMES and self.depth == self.case_depth + 1 and not self.outcome:
                self.outcome = _OUTCOMES[tag]
        elif tag == "testcase":
            self.case_depth = self.depth
            self.case = (attrs.get("classname", ""), attrs.get("name", ""))
            self.outcome = ""
            self.tests += 1
            stated = attrs.get("time")
            if stated:
                where = f"<testcase> time, element {self.elements}"
                self.case_time += as_decimal(stated.replace(",", ""), where)
        elif tag in _ROOTS:
            self.suites += tag == "testsuite"
            above = bool(self.covered and self.covered[-1])
            stated = attrs.get("time", "").strip()
            if stated and not above:
                where = f"<{tag}> time, element {self.elements}"
                self.suite_time += as_decimal(stated.replace(",", ""), where)
                self.timed = True
            self.covered.append(above or bool(stated))

    def end(self, tag: str) -> None:
        if self.depth == self.case_depth:
            self.case_depth = 0
            if self.outcome:
                self.counts[self.outcome] += 1
                if self.outcome != "skipped" and len(self.failing) < self.names:
                    classname, name = self.case
                    self.failing.append((f"{classname}.{name}" if classname else name)[:500])
        elif not self.case_depth and self.covered and local(tag) in _ROOTS:
            self.covered.pop()
        self.depth -= 1
