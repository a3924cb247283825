"""``mamori rulebook coverage`` and the generated traceability document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from mamori.rulebook.models import Control
from mamori.rulebook.services.coverage import traceability_markdown

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_coverage_json_counts_both_rules_and_every_item(capsys) -> None:
    with pytest.raises(SystemExit):  # some requirements have no control that counts
        call_command("rulebook", "coverage", "--json")
    result = json.loads(capsys.readouterr().out)
    assert result["requirements"] == 248
    assert {k: v["requirements"] for k, v in result["by_rule"].items()} == {"srm": 102, "ism": 146}
    item = next(i for i in result["items"] if i["urn"] == "urn:mamori:jvcea:ism:art34:p1")
    assert "DOC-CUS-07" in item["controls"] and item["status"] == "non_compliant"


@pytest.mark.django_db
def test_coverage_json_says_per_rule_how_requirements_are_met_and_which_rest_on_documents(
    capsys,
) -> None:
    with pytest.raises(SystemExit):
        call_command("rulebook", "coverage", "--json")
    result = json.loads(capsys.readouterr().out)
    srm, ism = result["by_rule"]["srm"], result["by_rule"]["ism"]
    assert (srm["measured"], srm["workflow"], srm["document_only"], srm["none"]) == (0, 0, 0, 102)
    assert (ism["measured"], ism["workflow"], ism["document_only"], ism["none"]) == (0, 0, 0, 146)
    assert srm["designed"] == {"measured": 18, "workflow": 29, "document_only": 55, "none": 0}
    assert sum(ism["designed"].values()) == 146
    items = {i["urn"]: i for i in result["items"]}
    audit = items["urn:mamori:jvcea:ism:art34:p3"]
    assert audit["kinds"] == {"DOC-CUS-07": "document"} and audit["only_documents"]
    assert (audit["status"], audit["known_by"]) == ("non_compliant", "none")
    watch = items["urn:mamori:jvcea:srm:art21:p1"]
    assert watch["controls"] == ["OPS-STS-01"] and watch["mamori_own_health"] == []
    assert watch["designed"] == "measured" and not watch["only_documents"]
    log = items["urn:mamori:jvcea:ism:art23:p1:i2"]
    assert log["controls"] == [] and log["mamori_own_health"] == ["AUD-01", "AUD-02"]
    assert log["designed"] == "none"


@pytest.mark.django_db
def test_coverage_exits_non_zero_when_a_requirement_has_no_control(capsys) -> None:
    for code in ("DOC-CUS-07", "REC-04"):
        Control.objects.get(code=code).requirements.clear()
    with pytest.raises(SystemExit) as exited:
        call_command("rulebook", "coverage")
    assert exited.value.code == 1
    assert "no control: ISM 34-3" in capsys.readouterr().out


def test_docs_traceability_is_generated_from_the_library_and_current() -> None:
    generated = traceability_markdown()
    committed = (ROOT / "docs" / "traceability.md").read_text(encoding="utf-8")
    assert committed == generated, (
        "run: uv run mamori rulebook traceability --output docs/traceability.md"
    )
    assert "ISM 27-2-1" in generated and "## Requirements shown only by documents" in generated
    assert "| SRM | 102 | 18 | 29 | 55 | 0 |" in generated
    assert "- ISM 23-1-2 (`urn:mamori:jvcea:ism:art23:p1:i2`): no control" in generated


def test_every_test_file_the_catalogue_names_exists() -> None:
    from mamori.rulebook import catalogue

    for spec in catalogue.read_controls(catalogue.builtin_libraries()):
        for test in spec.tests:
            assert (ROOT / test).is_file(), f"{spec.code} names {test}"
