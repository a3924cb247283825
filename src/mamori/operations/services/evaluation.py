"""Quality evaluation of one build (SRM 16, 19): every criterion of the quality plan of each
system a change touches, against the evidence stored for exactly one artifact digest.

Several reports of one kind for a build add up (a unit and an integration test report, two
SARIF files); performance takes the worst value of each metric. Evidence summaries are read as
:mod:`mamori.operations.models.evidence` documents them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from mamori.operations.models import Change, Evidence, QualityCriterion

__all__ = ["Measured", "measure", "quality_blockers"]

METRIC = QualityCriterion.Metric
#: The evidence kind each metric is measured from.
KIND_OF: dict[str, str] = {
    METRIC.TESTS_FAILED: Evidence.Kind.TESTS,
    METRIC.COVERAGE: Evidence.Kind.COVERAGE,
    METRIC.VULNERABILITIES: Evidence.Kind.VULNERABILITIES,
    METRIC.STATIC_ANALYSIS: Evidence.Kind.STATIC_ANALYSIS,
    METRIC.PERFORMANCE: "performance",
}


@dataclass(frozen=True)
class Measured:
    """What the evidence of one build says, by kind (absent kinds are missing)."""

    kinds: frozenset[str]
    failed: int
    tests: int
    lines_covered: int
    lines_valid: int
    vulnerabilities: Counter[str]
    findings: Counter[str]
    performance: dict[str, Decimal]

    def coverage(self) -> Decimal:
        """Return the line coverage in percent, two decimals (0 when no line is valid)."""
        if self.lines_valid <= 0:
            return Decimal("0.00")
        rate = Decimal(self.lines_covered) * 100 / Decimal(self.lines_valid)
        return rate.quantize(Decimal("0.01"))


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _number(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def measure(change: Change, digest: str) -> Measured:
    """Return what the evidence of ``change``'s build with ``digest`` says."""
    rows = Evidence.objects.filter(build__change=change, build__artifact_digest=digest)
    kinds: set[str] = set()
    failed = tests = covered = valid = 0
    vulnerabilities: Counter[str] = Counter()
    findings: Counter[str] = Counter()
    performance: dict[str, Decimal] = {}
    for row in rows:
        summary = row.summary if isinstance(row.summary, dict) else {}
        kinds.add(row.kind)
        if row.kind == Evidence.Kind.TESTS:
            failed += _int(summary.get("failures")) + _int(summary.get("errors"))
            tests += _int(summary.get("tests")) - _int(summary.get("skipped"))
        elif row.kind == Evidence.Kind.COVERAGE:
            covered += _int(summary.get("lines_covered"))
            valid += _int(summary.get("lines_valid"))
        elif row.kind == Evidence.Kind.VULNERABILITIES:
            for level, count in (summary.get("by_severity") or {}).items():
                vulnerabilities[str(level)] += _int(count)
        elif row.kind == Evidence.Kind.STATIC_ANALYSIS:
            for level, count in (summary.get("by_level") or {}).items():
                findings[str(level)] += _int(count)
        elif row.kind == KIND_OF[METRIC.PERFORMANCE]:
            for name, raw in (summary.get("metrics") or {}).items():
                value = _number(raw)
                if value is not None:
                    performance[str(name)] = max(value, performance.get(str(name), value))
    return Measured(
        frozenset(kinds), failed, tests, covered, valid, vulnerabilities, findings, performance
    )


def _actual(criterion: QualityCriterion, measured: Measured) -> Decimal | None:
    """Return the measured value a criterion compares (None: not measured)."""
    metric = criterion.metric
    if metric == METRIC.TESTS_FAILED:
        # a report in which no test ran (none, or all skipped) measures nothing
        return Decimal(measured.failed) if measured.tests > 0 else None
    if metric == METRIC.COVERAGE:
        return measured.coverage()
    if metric == METRIC.VULNERABILITIES:
        return Decimal(measured.vulnerabilities.get(criterion.level, 0))
    if metric == METRIC.STATIC_ANALYSIS:
        return Decimal(measured.findings.get(criterion.level, 0))
    return measured.performance.get(criterion.level)


def _plain(number: Decimal) -> str:
    """Return ``number`` without trailing zeros or an exponent (80.000 → 80)."""
    return format(number.normalize(), "f")


def _label(criterion: QualityCriterion) -> str:
    label = str(criterion.get_metric_display())
    return f"{label} ({criterion.level})" if criterion.level else label


def quality_blockers(change: Change, digest: str) -> list[Any]:
    """Return the quality reasons for *no-go*: a touched system without a plan or criteria,
    evidence of a needed kind missing for the digest, a criterion not met."""
    from mamori.operations.services.gate import Blocker

    systems = list(change.systems.select_related("quality_plan").order_by("code"))
    if not systems:
        return [Blocker("no_systems", _("The change names no system it touches."), {})]
    measured = measure(change, digest)
    found: list[Blocker] = []
    missing: set[str] = set()
    for system in systems:
        plan = getattr(system, "quality_plan", None)
        criteria = list(plan.criteria.all()) if plan is not None else []
        if not criteria:
            found.append(
                Blocker(
                    "quality_plan_missing",
                    _("The system %(system)s has no quality plan with criteria.")
                    % {"system": system.code},
                    {"system": system.code},
                )
            )
            continue
        for criterion in criteria:
            found.extend(_judge(change, system.code, criterion, measured, missing))
    for kind in sorted(missing):
        found.append(
            Blocker(
                "evidence_missing",
                _("No %(kind)s evidence is stored for this artifact digest.") % {"kind": kind},
                {"kind": kind, "artifact_digest": digest},
            )
        )
    return found


def _judge(
    change: Change,
    system: str,
    criterion: QualityCriterion,
    measured: Measured,
    missing: set[str],
) -> list[Any]:
    from mamori.operations.services.gate import Blocker

    detail: dict[str, Any] = {
        "system": system,
        "metric": criterion.metric,
        "level": criterion.level,
        "threshold": _plain(criterion.threshold),
    }
    if criterion.metric == METRIC.SECURITY_REVIEW:
        others = change.security_reviews.exclude(reviewed_by_id=change.responsible_id)
        if others.exists():
            return []
        return [
            Blocker(
                "security_review_missing",
                _("%(system)s: no security review by someone other than the responsible person.")
                % {"system": system},
                detail,
            )
        ]
    kind = str(KIND_OF[criterion.metric])
    if kind not in measured.kinds:
        missing.add(kind)
        return []
    actual = _actual(criterion, measured)
    if actual is None and criterion.metric == METRIC.TESTS_FAILED:
        return [
            Blocker(
                "evidence_missing",
                _("%(system)s: the test reports of this build ran no test.") % {"system": system},
                {**detail, "kind": kind},
            )
        ]
    if actual is None:  # a performance report without this metric, or coverage without counts
        return [
            Blocker(
                "evidence_missing",
                _("%(system)s: the %(kind)s evidence does not measure %(name)s.")
                % {"system": system, "kind": kind, "name": criterion.level or criterion.metric},
                {**detail, "kind": kind},
            )
        ]
    minimum = criterion.metric == METRIC.COVERAGE
    met = actual >= criterion.threshold if minimum else actual <= criterion.threshold
    if met:
        return []
    detail["actual"] = str(actual)
    message = (
        _("%(system)s: %(criterion)s — measured %(actual)s, at least %(threshold)s required.")
        if minimum
        else _("%(system)s: %(criterion)s — measured %(actual)s, at most %(threshold)s allowed.")
    )
    return [
        Blocker(
            "criterion_not_met",
            message
            % {
                "system": system,
                "criterion": _label(criterion),
                "actual": actual if minimum else _plain(actual),
                "threshold": _plain(criterion.threshold),
            },
            detail,
        )
    ]
