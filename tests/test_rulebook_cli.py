"""``mamori rulebook coverage`` and the generated traceability document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from mamori.rulebook.models import Control
from mamori.rulebook.services.coverage import traceability_markdown

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_coverage_json_counts_both_rules_and_every_item(capsys) -> None:
    call_command("rulebook", "coverage", "--json")
    result = json.loads(capsys.readouterr().out)
    assert result["requirements"] == 248 == result["with_control"]
    assert result["by_rule"] == {
        "srm": {"requirements": 102, "with_control": 102},
        "ism": {"requirements": 146, "with_control": 146},
    }
    item = next(i for i in result["items"] if i["urn"] == "urn:mamori:jvcea:ism:art34:p1")
    assert "DOC-CUS-07" in item["controls"] and item["status"] == "non_compliant"


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
    assert "ISM 27-2-1" in generated and "## Not yet implemented in mamori" in generated


def test_every_test_file_the_catalogue_names_exists() -> None:
    from mamori.rulebook import catalogue

    for spec in catalogue.read_controls(catalogue.builtin_libraries()):
        for test in spec.tests:
            assert (ROOT / test).is_file(), f"{spec.code} names {test}"
