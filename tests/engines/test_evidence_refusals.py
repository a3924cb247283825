"""Bad evidence is refused with one error that says where (SRM 15, 19): truncated, malformed,
hostile, oversized, wrongly shaped or not UTF-8 — never a half summary."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from mamori.engines.evidence import (
    EvidenceRefused,
    parse_coverage,
    parse_cyclonedx,
    parse_deployment,
    parse_evidence,
    parse_junit,
    parse_sarif,
    parse_vulnerabilities,
)

SAMPLES = Path(__file__).parent / "evidence_samples"


def refused(call, data: bytes, *args, **kwargs) -> EvidenceRefused:
    with pytest.raises(EvidenceRefused) as caught:
        call(io.BytesIO(data), *args, **kwargs)
    return caught.value


def test_a_truncated_junit_report_is_refused_with_its_line_and_column() -> None:
    data = (SAMPLES / "junit_surefire.xml").read_bytes()
    error = refused(parse_junit, data[: len(data) // 2])
    assert error.code == "malformed" and error.where.startswith("line ")
    assert "column" in str(error)


def test_a_billion_laughs_document_is_refused_before_expanding() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{"&lol{};".format(i - 1 if i > 1 else "") * 10}">'.encode()
            for i in range(1, 10)
        )
        + b"]><testsuites>&lol9;</testsuites>"
    )
    error = refused(parse_junit, bomb)
    assert error.code == "forbidden_markup" and error.where.startswith("line 1, column ")
    assert "internal DTD subset" in str(error)


def test_an_external_entity_is_refused() -> None:
    doc = b'<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><testsuite>&x;</testsuite>'
    assert refused(parse_junit, doc).code == "forbidden_markup"


def test_a_wrong_root_is_refused_by_name() -> None:
    error = refused(parse_junit, b"<html><body/></html>")
    assert error.code == "wrong_shape" and "got <html>" in str(error)
    assert refused(parse_coverage, b"<testsuite/>").code == "wrong_shape"


def test_xml_that_is_not_utf8_is_refused() -> None:
    error = refused(parse_junit, b'<testsuite name="\xff\xfe"/>')
    assert error.code == "malformed" and error.where == "line 1, column 18"


def test_a_huge_or_negative_count_is_refused() -> None:
    assert (
        refused(parse_coverage, b'<coverage lines-valid="1' + b"0" * 5000 + b'"/>').code
        == "wrong_shape"
    )
    error = refused(
        parse_coverage, b'<report><counter type="LINE" missed="-1" covered="3"/></report>'
    )
    assert "missed" in error.where
    assert refused(parse_junit, b'<testsuite time="1e999999"/>').code == "wrong_shape"


def test_the_byte_limit_is_enforced_while_reading() -> None:
    data = (SAMPLES / "codeql.sarif").read_bytes()
    error = refused(parse_sarif, data, limit=1000)
    assert error.code == "too_large" and error.where == "byte 1000"


def test_a_truncated_sarif_log_names_the_json_path() -> None:
    data = (SAMPLES / "semgrep.sarif").read_bytes()
    error = refused(parse_sarif, data[:1500])
    assert error.code == "malformed" and error.where.startswith("$.runs[0].results[2], character ")


def test_sarif_with_a_wrong_type_or_level_is_refused_at_its_path() -> None:
    bad_level = b'{"version":"2.1.0","runs":[{"results":[{"level":"fatal"}]}]}'
    error = refused(parse_sarif, bad_level)
    assert error.where == "$.runs[0].results[0], character 56" and "'fatal'" in str(error)
    assert refused(parse_sarif, b'{"version":"2.1.0","runs":{}}').where.startswith("$.runs,")
    assert refused(parse_sarif, b'{"version":"2.0.0","runs":[]}').where.startswith("$.version,")
    assert refused(parse_sarif, b'{"version":"2.1.0"}').where == "$.runs"
    assert refused(parse_sarif, b"[]").code == "wrong_shape"
    index = b'{"version":"2.1.0","runs":[{"results":[{"ruleIndex":1' + b"0" * 400 + b"}]}]}"
    assert refused(parse_sarif, index).code in ("wrong_shape", "malformed")


def test_json_that_is_not_utf8_or_has_trailing_data_is_refused() -> None:
    assert (
        refused(parse_sarif, b'{"version":"2.1.0","runs":[{"tool":"\xc3\x28"}]}').code
        == "malformed"
    )
    assert refused(parse_sarif, b'{"version":"2.1.0","runs":[]} {"x":1}').code == "malformed"


def test_an_sbom_of_another_format_or_version_is_refused() -> None:
    assert (
        refused(parse_cyclonedx, b'{"bomFormat":"SPDX","specVersion":"1.6"}').where == "$.bomFormat"
    )
    assert refused(parse_cyclonedx, b'{"bomFormat":"CycloneDX","specVersion":"1.2"}').where == (
        "$.specVersion"
    )
    error = refused(
        parse_cyclonedx,
        b'{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"version":"1"}]}',
    )
    assert error.where == "$.components[*].name"


def test_vulnerability_reports_of_the_wrong_shape_are_refused() -> None:
    assert refused(parse_vulnerabilities, b"[]", "pip-audit").where == "$"
    assert (
        refused(parse_vulnerabilities, b'{"dependencies":{}}', "pip-audit").where
        == "$.dependencies"
    )
    assert (
        refused(parse_vulnerabilities, b'{"results":[{"packages":[1]}]}', "osv").code
        == "wrong_shape"
    )
    assert refused(parse_vulnerabilities, b'{"fixes":[]}', "pip-audit").where == "$.dependencies"


def test_a_deployment_event_without_a_commit_or_time_is_refused() -> None:
    doc = (
        b'{"deployment_status":{"state":"success","created_at":"2026-12-01T00:00:00Z"},'
        b'"deployment":{"environment":"p"}}'
    )
    assert refused(parse_deployment, doc).where == "$.deployment.sha"
    doc = (
        b'{"object_kind":"deployment","status":"success","environment":"p",'
        b'"short_sha":"abc1234","status_changed_at":"yesterday"}'
    )
    assert refused(parse_deployment, doc).where == "$.status_changed_at"
    assert refused(parse_deployment, b'{"object_kind":"push"}').code == "wrong_shape"


def test_an_unknown_format_is_refused() -> None:
    assert refused(parse_evidence, b"PK\x03\x04 a zip").code == "unknown_format"
    assert refused(parse_evidence, b"<html/>").code == "unknown_format"


@pytest.mark.parametrize(
    "root",
    [
        b'<coverage lines-covered="900" line-rate="0.9"/>',
        b'<coverage lines-covered="900" lines-valid="0"/>',
        b'<coverage lines-covered="901" lines-valid="900"/>',
        b'<coverage lines-covered="1" lines-valid="2" branches-covered="3" branches-valid="2"/>',
    ],
)
def test_a_cobertura_report_claiming_covered_lines_it_does_not_count_is_refused(root) -> None:
    """Summed with the build's real report, such a file would lift coverage past what was
    measured (review H4)."""
    error = refused(parse_coverage, b'<?xml version="1.0"?>' + root)
    assert (error.code == "wrong_shape" and "covered" in error.where) or "valid" in error.where
