"""Both rules are in the database after install; a newer version shows what changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from mamori.engines.rulebook import LibraryError
from mamori.rulebook.catalogue import LIBRARY_DIR
from mamori.rulebook.models import Control, Framework, LibraryChange, Requirement, StatusDecision
from mamori.rulebook.services.library import load_library_file, sync_builtin

pytestmark = pytest.mark.django_db


def test_both_rules_and_the_catalogue_are_loaded_at_install() -> None:
    assert set(Framework.objects.values_list("ref_id", flat=True)) == {"srm", "ism"}
    assert Requirement.objects.filter(framework__ref_id="srm", kind="article").count() == 27
    assert Requirement.objects.filter(framework__ref_id="ism", kind="article").count() == 34
    item = Requirement.objects.get(urn="urn:mamori:jvcea:ism:art27:p2:i1")
    assert item.text_ja == "1 回の指示による入出金額"
    assert item.label == "ISM 27-2-1" and item.is_requirement
    assert Control.objects.count() >= 40
    assert Requirement.objects.get(urn="urn:mamori:jvcea:ism:art5:p1").guidance.count() == 1
    assert Requirement.objects.get(urn="urn:mamori:jvcea:ism:art27:p2").mappings.exists()


def test_syncing_again_changes_nothing() -> None:
    before = Requirement.objects.count()
    assert {r.action for r in sync_builtin()} == {"unchanged"}
    assert Requirement.objects.count() == before


def newer_srm(tmp_path: Path, version: int = 2) -> Path:
    text = (LIBRARY_DIR / "jvcea-srm.yaml").read_text(encoding="utf-8")
    text = text.replace("  version: 1\n", f"  version: {version}\n", 1)
    # reword SRM 13-2, add an item to SRM 27-1, drop SRM 27-1-9
    text = text.replace(
        "会員は、定期メンテナンスにより業務を停止する予定を顧客に公表しなければならない。",
        "会員は、定期メンテナンスにより業務を停止する予定を事前に顧客に公表しなければならない。",
    )
    text = text.replace(
        "      - urn: urn:mamori:jvcea:srm:art27:p1:i9\n",
        "      - urn: urn:mamori:jvcea:srm:art27:p1:i10\n",
    )
    path = tmp_path / "jvcea-srm-v2.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_newer_version_keeps_unchanged_assessments_and_flags_changed_ones(
    tmp_path: Path, people
) -> None:
    from mamori.accounts.services import approvals
    from mamori.rulebook.services import decisions

    unchanged = Requirement.objects.get(urn="urn:mamori:jvcea:srm:art13:p1")
    decision = decisions.request_decision(
        unchanged, "compliant", "maintenance calendar reviewed by ops", people["ciso"]
    )
    approvals.decide(decision.approval_id, people["sgm"], "approve", "ok")
    approvals.decide(decision.approval_id, people["auditor"], "approve", "ok")

    result = load_library_file(newer_srm(tmp_path))

    assert (result.action, result.version) == ("upgraded", 2)
    assert (result.changed, result.added, result.removed) == (1, 1, 1)
    changed = Requirement.objects.get(urn="urn:mamori:jvcea:srm:art13:p2")
    assert changed.needs_review and "ja" in changed.review_reason
    assert "事前に" in changed.text_ja
    added = Requirement.objects.get(urn="urn:mamori:jvcea:srm:art27:p1:i10")
    assert added.needs_review
    assert Requirement.objects.get(urn="urn:mamori:jvcea:srm:art27:p1:i9").removed_in == 2
    assert not Requirement.objects.get(urn="urn:mamori:jvcea:srm:art13:p1").needs_review
    kept = StatusDecision.objects.get(pk=decision.pk)
    assert kept.effective_at is not None and kept.withdrawn_at is None
    kinds = set(LibraryChange.objects.values_list("kind", flat=True))
    assert kinds == {"changed", "added", "removed"}
    assert Framework.objects.get(ref_id="srm").version == 2
    # the shipped v1 is older now: syncing keeps v2
    assert {r.action for r in sync_builtin()} == {"unchanged"}
    assert Framework.objects.get(ref_id="srm").version == 2


def test_an_edited_library_without_a_new_version_is_refused(tmp_path: Path) -> None:
    path = newer_srm(tmp_path, version=1)
    with pytest.raises(LibraryError, match="raise 'version'"):
        load_library_file(path)


def test_an_older_version_is_refused(tmp_path: Path) -> None:
    load_library_file(newer_srm(tmp_path, version=3))
    with pytest.raises(LibraryError, match="older than the loaded version 3"):
        load_library_file(newer_srm(tmp_path, version=2))


def test_a_broken_file_is_refused_by_the_cli_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    text = (LIBRARY_DIR / "jvcea-srm.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("strength: must\n", "strength: maybe\n", 1), encoding="utf-8")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"bad\.yaml:\d+: .*unknown obligation strength 'maybe'"):
        call_command("rulebook", "load", str(path))


def test_modules_bring_their_own_controls_and_a_code_defined_twice_is_refused(
    tmp_path: Path,
) -> None:
    from mamori.rulebook import catalogue

    files = catalogue.control_files()
    assert any(f.parent.name == "auditlog" for f in files)
    assert Control.objects.get(code="AUD-01").module == "mamori.auditlog"
    twice = tmp_path / "controls.yaml"
    twice.write_text(
        "controls:\n- code: AUD-01\n  kind: document\n  name: {ja: あ, en: a}\n"
        "  description: {ja: あ, en: a}\n  owner: ciso\n  evidence_valid_days: 30\n"
        "  satisfies: [ism:art5:p4]\n",
        encoding="utf-8",
    )
    with pytest.raises(LibraryError, match=r"controls\.yaml:2: .*duplicate control code 'AUD-01'"):
        catalogue.read_controls(catalogue.builtin_libraries(), [*files, twice])
