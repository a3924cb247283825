"""Importing the inventory from a source: idempotent, all or nothing, gone items flagged not
deleted, every row recorded in the audit log and the run summarised (SRM 12-2..5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mamori.accounts.models import Department, User
from mamori.auditlog.models import Bypass, Entry
from mamori.operations.models import ConfigurationItem, ImportRun, Relation, System
from mamori.operations.services import cmdb_import

SAMPLES = Path(__file__).parents[1] / "engines" / "cmdb_samples"
LB = "module.web.aws_lb.front"

pytestmark = pytest.mark.django_db


def _read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_a_terraform_import_then_one_without_a_resource_flags_it_gone_and_back_clears_it(
    alice: User,
) -> None:
    first = cmdb_import.import_file("terraform", _read("terraform.json"), "state.json", alice)
    assert (first.added, first.changed, first.gone, first.relations_added) == (4, 0, 0, 2)
    second = cmdb_import.import_file("terraform", _read("terraform_lb_removed.json"), "s2.json")
    assert (second.added, second.gone, second.unchanged) == (0, 1, 3)
    assert second.relations_gone == 1
    lb = ConfigurationItem.objects.get(source="terraform", external_id=LB)
    assert lb.gone_since is not None, "gone from its source: flagged, not deleted"
    assert Relation.objects.get(source_item=lb).gone_since is not None
    third = cmdb_import.import_file("terraform", _read("terraform.json"), "s3.json")
    assert (third.added, third.gone, third.reappeared, third.unchanged) == (0, 0, 1, 3)
    lb.refresh_from_db()
    assert lb.gone_since is None
    assert Relation.objects.get(source_item=lb).gone_since is None
    assert ConfigurationItem.objects.filter(source="terraform").count() == 4


def test_the_same_file_twice_changes_nothing() -> None:
    cmdb_import.import_file("netbox", _read("netbox.json"), "nb.json")
    before = list(ConfigurationItem.objects.values().order_by("pk"))
    again = cmdb_import.import_file("netbox", _read("netbox.json"), "nb.json")
    assert (again.added, again.changed, again.gone, again.reappeared) == (0, 0, 0, 0)
    assert (again.unchanged, again.relations_added, again.relations_unchanged) == (5, 0, 5)
    assert list(ConfigurationItem.objects.values().order_by("pk")) == before


def test_items_a_repeated_import_saw_count_as_seen_in_the_evaluation() -> None:
    """A repeated file changes no row (last_seen_at stays), yet every item it holds was seen
    by that import: SRM 12-5's "seen in a source within N days" reads the import runs."""
    from datetime import timedelta

    from django.utils import timezone

    from mamori.operations.models import ConfigurationItem, ImportRun
    from mamori.operations.services import cmdb_register

    cmdb_import.import_file("netbox", _read("netbox.json"), "nb.json")
    long_ago = timezone.now() - timedelta(days=400)
    ConfigurationItem.objects.update(last_seen_at=long_ago)
    ImportRun.objects.update(at=long_ago)
    assert cmdb_register.evaluate().seen_recently == 0
    cmdb_import.import_file("netbox", _read("netbox.json"), "nb.json")
    figures = cmdb_register.evaluate()
    assert figures.items > 0 and figures.seen_recently == figures.items


def test_a_changed_item_is_updated_in_place() -> None:
    cmdb_import.import_file("terraform", _read("terraform.json"))
    state = json.loads(_read("terraform.json"))
    state["values"]["root_module"]["resources"][1]["values"]["engine_version"] = "17.0"
    run = cmdb_import.import_file("terraform", json.dumps(state).encode())
    assert (run.changed, run.unchanged) == (1, 3)
    db = ConfigurationItem.objects.get(external_id="aws_db_instance.main")
    assert db.version == "17.0"


def test_a_bad_file_stores_nothing_and_names_every_bad_row() -> None:
    with pytest.raises(cmdb_import.CmdbImportRefused) as refused:
        cmdb_import.import_file("csv", _read("bad.csv"), "bad.csv")
    assert [f.field for f in refused.value.fields] == ["row 3", "row 4", "row 5", "row 6"]
    assert not ConfigurationItem.objects.exists()
    run = ImportRun.objects.get()
    assert run.outcome == "refused"
    assert run.errors[0]["where"] == "row 3"


def test_hints_resolve_to_systems_and_items_no_system_claims_are_counted_unknown(
    alice: User,
) -> None:
    department = Department.objects.get_or_create(
        code="sys", defaults={"name_ja": "システム部", "name_en": "Systems"}
    )[0]
    System.objects.create(
        code="MATCH",
        name_ja="マッチングエンジン",
        name_en="Matching engine",
        department=department,
        system_manager=alice,
    )
    run = cmdb_import.import_file("terraform", _read("terraform.json"))
    matching = ConfigurationItem.objects.get(external_id="aws_instance.matching")
    assert matching.system is not None and matching.system.code == "MATCH"
    assert run.unknown == 3
    assert cmdb_import.unknown_items() == 3


def test_every_row_is_recorded_in_the_audit_log_and_the_run_once_with_its_summary() -> None:
    run = cmdb_import.import_file("kubernetes", _read("kubernetes.json"), "k.json")
    created = Entry.objects.filter(action="create", object_type="operations.configurationitem")
    assert created.count() == 5
    summary = Entry.objects.get(action="cmdb.import")
    assert summary.object_id == str(run.pk)
    body = json.loads(summary.body)
    assert body["details"]["added"] == 5
    assert body["details"]["sha256"] == run.sha256
    assert "kubernetes import of k.json" in body["details"]["reason"]
    assert not Bypass.objects.exists(), "no write left unrecorded (PostgreSQL's triggers)"


def test_each_sample_source_imports() -> None:
    for source, name, items in [
        ("csv", "inventory.csv", 4),
        ("aws_config", "aws_config.json", 3),
        ("kubernetes", "kubernetes.json", 5),
    ]:
        run = cmdb_import.import_file(source, _read(name), name)
        assert run.added == items, source


def test_a_large_import_keeps_the_parsed_file_out_of_the_collectors_way_and_hands_it_back(
    monkeypatch,
) -> None:
    import gc

    gc.unfreeze()
    frozen_while_written = []
    apply = cmdb_import._apply

    def apply_seen(*args):
        frozen_while_written.append(gc.get_freeze_count())
        return apply(*args)

    monkeypatch.setattr(cmdb_import, "_apply", apply_seen)
    monkeypatch.setattr(cmdb_import, "LARGE_FILE", 1)
    cmdb_import.import_file("csv", _read("inventory.csv"), "inventory.csv")
    assert frozen_while_written[0] > 0 and gc.get_freeze_count() == 0 and gc.isenabled()
    monkeypatch.setattr(cmdb_import, "LARGE_FILE", 1 << 40)
    cmdb_import.import_file("csv", _read("inventory.csv"), "inventory.csv")
    assert frozen_while_written[1] == 0
