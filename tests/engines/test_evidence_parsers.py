"""The evidence parsers read what real pipelines write (SRM 15, 16, 18, 19, 20): every format's
sample summarised as its tool would count it, with the digest of exactly the bytes read."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from mamori.engines import evidence
from mamori.engines.evidence import (
    Component,
    EvidenceRefused,
    detect_format,
    parse_coverage,
    parse_cyclonedx,
    parse_deployment,
    parse_evidence,
    parse_junit,
    parse_sarif,
    parse_vulnerabilities,
)

SAMPLES = Path(__file__).parent / "evidence_samples"


def sample(name: str) -> io.BytesIO:
    return io.BytesIO((SAMPLES / name).read_bytes())


def test_the_public_surface_is_pinned() -> None:
    assert "parse_evidence" in evidence.__all__ and "EvidenceRefused" in evidence.__all__
    assert all(hasattr(evidence, name) for name in evidence.__all__)


def test_a_pytest_report_counts_failures_errors_and_skips_and_names_the_failing_tests() -> None:
    report = parse_junit(sample("junit_pytest.xml")).summary
    assert (report.tests, report.failures, report.errors, report.skipped) == (5, 1, 1, 1)
    assert report.passed == 2 and report.time == Decimal("3.214")
    assert report.failing == (
        "tests.matching.test_orderbook.test_a_market_order_takes_the_best_price",
        "tests.matching.test_settlement.test_settlement_posts_both_legs",
    )


def test_a_surefire_report_with_a_bare_testsuite_does_not_count_a_flaky_pass_as_failed() -> None:
    report = parse_junit(sample("junit_surefire.xml")).summary
    assert (report.suites, report.tests, report.failures, report.errors) == (1, 4, 1, 0)
    assert report.failing == ("jp.example.wallet.WithdrawalLimitTest.limitResetsAtMidnightTokyo",)


def test_the_failing_names_are_bounded_but_the_count_is_not() -> None:
    cases = "".join(f'<testcase name="t{i}"><failure/></testcase>' for i in range(50))
    report = parse_junit(io.BytesIO(f"<testsuite>{cases}</testsuite>".encode()), names=3).summary
    assert report.failing == ("t0", "t1", "t2") and report.failing_count == 50


def test_nested_suites_take_the_time_of_the_outermost_that_states_one() -> None:
    doc = (
        b'<testsuites><testsuite name="a" time="1.5"><testsuite name="a1" time="1.0">'
        b'<testcase name="x" time="1.0"/></testsuite></testsuite>'
        b'<testsuite name="b" time="2.25"><testcase name="y" time="2.0"/></testsuite></testsuites>'
    )
    report = parse_junit(io.BytesIO(doc)).summary
    assert report.time == Decimal("3.75") and report.tests == 2 and report.suites == 3


def test_cobertura_coverage_is_the_exact_fraction_of_its_counts() -> None:
    found = parse_coverage(sample("cobertura.xml"))
    assert found.format == "cobertura"
    assert found.summary.line_rate == Fraction(1093, 1284)
    assert found.summary.branch_rate == Fraction(301, 388)


def test_cobertura_without_counts_falls_back_to_the_stated_rate_exactly() -> None:
    doc = b'<coverage line-rate="0.85" branch-rate="0.5"><packages/></coverage>'
    summary = parse_coverage(io.BytesIO(doc)).summary
    assert summary.line_rate == Fraction(17, 20) and summary.lines_valid is None


def test_jacoco_coverage_reads_the_report_level_counters_despite_its_doctype() -> None:
    found = parse_coverage(sample("jacoco.xml"))
    assert found.format == "jacoco"
    summary = found.summary
    assert (summary.lines_covered, summary.lines_valid) == (803, 900)
    assert summary.branch_rate == Fraction(239, 300)
    assert (summary.instructions_covered, summary.instructions_valid) == (3588, 4000)


def test_semgrep_levels_default_to_the_rule_and_suppressed_results_are_apart() -> None:
    report = parse_sarif(sample("semgrep.sarif")).summary
    assert dict(report.levels) == {"error": 1, "warning": 0, "note": 1, "none": 0}
    assert report.suppressed == 1 and report.suppressed_levels["warning"] == 1
    assert dict(report.tools) == {"Semgrep OSS": 2}


def test_codeql_rules_are_found_by_index_and_in_extensions_and_under_review_is_not_suppressed() -> (
    None
):
    report = parse_sarif(sample("codeql.sarif")).summary
    assert dict(report.levels) == {"error": 2, "warning": 1, "note": 1, "none": 0}
    assert report.suppressed == 1 and report.results == 4
    assert ("py/weak-sensitive-data-hashing", 1) in report.rules


def test_bandit_runs_add_up_and_a_review_kind_is_level_none() -> None:
    report = parse_sarif(sample("bandit.sarif")).summary
    assert report.runs == 2 and dict(report.tools) == {"Bandit": 3}
    assert dict(report.levels) == {"error": 1, "warning": 0, "note": 1, "none": 1}


def test_a_result_without_level_or_rule_default_is_a_warning() -> None:
    doc = (
        b'{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t"}},"results":[{"ruleId":"r"}]}]}'
    )
    assert parse_sarif(io.BytesIO(doc)).summary.levels["warning"] == 1


def test_results_before_the_tool_still_take_the_rule_default() -> None:
    doc = (
        b'{"version":"2.1.0","runs":[{"results":[{"ruleIndex":0}],"tool":{"driver":{"name":"t",'
        b'"rules":[{"id":"r0","defaultConfiguration":{"level":"error"}}]}}}]}'
    )
    report = parse_sarif(io.BytesIO(doc)).summary
    assert report.levels["error"] == 1 and report.rules == (("r0", 1),)


def test_the_rules_listed_are_bounded_and_the_most_frequent_first() -> None:
    results = ",".join(f'{{"ruleId":"r{i % 5}","level":"note"}}' for i in range(15 + 2))
    run = f'{{"tool":{{"driver":{{"name":"t"}}}},"results":[{results}]}}'
    doc = f'{{"version":"2.1.0","runs":[{run}]}}'
    report = parse_sarif(io.BytesIO(doc.encode()), rules=2).summary
    assert report.rules == (("r0", 4), ("r1", 4)) and report.rules_total == 5


def test_a_cyclonedx_sbom_counts_nested_components_and_names_its_artifact() -> None:
    sbom = parse_cyclonedx(sample("cyclonedx.json")).summary
    assert sbom.spec_version == "1.6" and sbom.component_count == 5
    assert sbom.serial_number == "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
    assert sbom.metadata_component is not None
    assert (
        sbom.metadata_component.version == "2.4.0" and sbom.metadata_component.type == "container"
    )
    assert (
        Component("markupsafe", "2.1.3", "pkg:pypi/markupsafe@2.1.3", "library") in sbom.components
    )
    assert len(parse_cyclonedx(sample("cyclonedx.json"), listed=2).summary.components) == 2


def test_pip_audit_findings_are_unknown_severity_with_their_fixes() -> None:
    report = parse_vulnerabilities(sample("pip_audit.json"), "pip-audit").summary
    assert (report.packages, report.vulnerable_packages, report.vulnerabilities) == (4, 2, 3)
    assert report.severities["unknown"] == 3
    assert report.findings[0].fix_versions == ("3.1.3",)


def test_osv_severities_come_from_the_database_then_the_group_score() -> None:
    report = parse_vulnerabilities(sample("osv_scanner.json"), "osv").summary
    assert dict(report.severities) == {
        "critical": 0,
        "high": 2,
        "medium": 1,
        "low": 1,
        "unknown": 1,
    }
    assert {f.id: f.severity for f in report.findings}["PYSEC-2024-139"] == "high"


def test_a_github_deployment_status_gives_the_commit_digest_and_environment() -> None:
    event = parse_deployment(sample("github_deployment_status.json")).summary
    assert event.source == "github" and event.environment == "production"
    assert event.commit == "9a1c5e0b7f3d2c4e6a8b0d1f3e5a7c9b2d4f6a8c"
    assert event.artifact_digest == (
        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    )
    assert event.state == "success" and event.at == datetime(2026, 12, 1, 2, 14, 9, tzinfo=UTC)
    assert event.system == "example-exchange/matching-engine"


def test_a_gitlab_deployment_hook_takes_the_full_commit_from_its_url() -> None:
    event = parse_deployment(sample("gitlab_deployment.json")).summary
    assert event.source == "gitlab" and event.system == "exchange/wallet-service"
    assert event.commit == "279484c09fbe69ededfced8c1bb6e6d24616b468"
    assert event.at == datetime(2026, 12, 1, 2, 20, 45, tzinfo=UTC)
    assert event.artifact_digest is None


def test_a_failed_gitlab_deployment_is_normalised_to_failure() -> None:
    doc = (
        b'{"object_kind":"deployment","status":"failed",'
        b'"status_changed_at":"2026-12-01 02:00:00 UTC",'
        b'"environment":"production","short_sha":"279484c0"}'
    )
    event = parse_deployment(io.BytesIO(doc)).summary
    assert event.state == "failure" and event.raw_state == "failed" and event.commit == "279484c0"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("junit_pytest.xml", "junit"),
        ("junit_surefire.xml", "junit"),
        ("cobertura.xml", "cobertura"),
        ("jacoco.xml", "jacoco"),
        ("semgrep.sarif", "sarif"),
        ("codeql.sarif", "sarif"),
        ("bandit.sarif", "sarif"),
        ("cyclonedx.json", "cyclonedx"),
        ("pip_audit.json", "pip-audit"),
        ("osv_scanner.json", "osv"),
        ("github_deployment_status.json", "github-deployment"),
        ("gitlab_deployment.json", "gitlab-deployment"),
    ],
)
def test_every_sample_is_recognised_and_its_digest_is_of_the_bytes_read(
    name: str, fmt: str
) -> None:
    data = (SAMPLES / name).read_bytes()
    assert detect_format(data[:65536]) == fmt
    found = parse_evidence(io.BytesIO(data))
    assert found.format == fmt and found.size == len(data)
    assert found.sha256 == hashlib.sha256(data).hexdigest()
    assert parse_evidence(io.BytesIO(data), fmt).summary == found.summary


def test_an_explicit_format_that_does_not_fit_is_refused() -> None:
    with pytest.raises(EvidenceRefused) as refused:
        parse_evidence(sample("semgrep.sarif"), "junit")
    assert refused.value.code == "malformed" and "line 1" in refused.value.where
    with pytest.raises(EvidenceRefused, match="expected one of"):
        parse_evidence(sample("semgrep.sarif"), "excel")


def test_a_run_whose_results_are_null_counts_none() -> None:
    doc = b'{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"CodeQL"}},"results":null}]}'
    report = parse_sarif(io.BytesIO(doc)).summary
    assert report.runs == 1 and report.results == 0


def test_json_nested_past_the_limit_is_refused_at_once_whatever_its_length() -> None:
    """200 KB of ``[`` once took the reader past 10 GB (each level's prefix kept): refused
    now after at most a thousand levels read, with the path where it stopped."""
    import resource

    from mamori.engines.evidence._json import MAX_DEPTH
    from mamori.engines.evidence.deploy import parse_deployment

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for body in (
        b"[" * 200_000,
        b'{"a":' * 100_000,
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
    ):
        with pytest.raises(EvidenceRefused) as refused:
            parse_deployment(io.BytesIO(body), limit=1 << 20)
        assert refused.value.code == "too_deep"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200 * 1024  # KiB
    nested = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH  # deep, within the limit: read, then refused
    with pytest.raises(EvidenceRefused) as shape:  # for its shape, not its depth
        parse_deployment(io.BytesIO(nested))
    assert shape.value.code == "wrong_shape"
