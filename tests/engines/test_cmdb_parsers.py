"""The inventory parsers read each source's real format and refuse a bad file naming the row
or JSON path (SRM 12-2..4)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from mamori.engines.cmdb import CmdbFileError, Relation, Snapshot, parse

SAMPLES = Path(__file__).parent / "cmdb_samples"


def _read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _by_id(snapshot: Snapshot) -> dict[str, object]:
    return {item.external_id: item for item in snapshot.items}


def test_a_csv_inventory_gives_items_hints_attributes_and_relations() -> None:
    snapshot = parse("csv", _read("inventory.csv"))
    items = _by_id(snapshot)
    assert set(items) == {"srv-db-1", "vm-match-1", "lic-oracle", "svc-kyc"}
    server = snapshot.items[0]
    assert (server.kind, server.system, server.owner, server.location) == (
        "server",
        "DB",
        "sys",
        "Tokyo DC1",
    )
    assert server.attributes == {"vendor": "Dell"}
    assert snapshot.items[2].expires_on == date(2027, 3, 31)
    assert set(snapshot.relations) == {
        Relation("vm-match-1", "srv-db-1", "runs_on"),
        Relation("svc-kyc", "srv-db-1", "depends_on"),
        Relation("svc-kyc", "srv-db-1", "holds_data", "customer_pii"),
    }


def test_an_excel_inventory_reads_like_the_same_table_in_csv() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    import csv

    for row in csv.reader(io.StringIO(_read("inventory.csv").decode())):
        sheet.append([date.fromisoformat(c) if c == "2027-03-31" else c for c in row])
    out = io.BytesIO()
    book.save(out)
    excel = parse("excel", out.getvalue())
    from_csv = parse("csv", _read("inventory.csv"))
    assert excel.items == from_csv.items
    assert set(excel.relations) == set(from_csv.relations)


def test_a_bad_csv_is_refused_naming_every_bad_row() -> None:
    with pytest.raises(CmdbFileError) as refused:
        parse("csv", _read("bad.csv"))
    where = [p.where for p in refused.value.problems]
    assert where == ["row 3", "row 4", "row 5", "row 6"]
    assert "spaceship" in str(refused.value)


def test_a_relation_to_a_row_not_in_the_file_is_refused() -> None:
    data = b"kind,external_id,name,relations\nserver,a,A,runs_on:nowhere\n"
    with pytest.raises(CmdbFileError, match="row 2: relation target 'nowhere'"):
        parse("csv", data)


def test_terraform_state_gives_managed_resources_of_every_module_and_depends_on() -> None:
    snapshot = parse("terraform", _read("terraform.json"))
    items = _by_id(snapshot)
    assert set(items) == {
        "aws_instance.matching",
        "aws_db_instance.main",
        "module.web.aws_lb.front",
        "module.web.module.cache.aws_elasticache_cluster.sessions",
    }
    vm = snapshot.items[0]
    assert (vm.kind, vm.name, vm.system, vm.location) == (
        "virtual_machine",
        "matching-engine",
        "MATCH",
        "ap-northeast-1a",
    )
    assert snapshot.items[1].kind == "cloud_resource"
    assert set(snapshot.relations) == {
        Relation("aws_instance.matching", "aws_db_instance.main", "depends_on"),
        Relation("module.web.aws_lb.front", "aws_instance.matching", "depends_on"),
    }


def test_a_bad_terraform_state_is_refused_naming_the_json_paths() -> None:
    with pytest.raises(CmdbFileError) as refused:
        parse("terraform", _read("terraform_bad.json"))
    where = [p.where for p in refused.value.problems]
    assert where == [
        "$.values.root_module.resources[0].type",
        "$.values.root_module.child_modules[0].resources[0].address",
    ]


def test_broken_json_is_refused_naming_the_line() -> None:
    with pytest.raises(CmdbFileError, match="line 2"):
        parse("terraform", b'{\n  "values": ,\n}')


def test_an_aws_config_snapshot_gives_recorded_resources_and_relationships() -> None:
    snapshot = parse("aws_config", _read("aws_config.json"))
    items = _by_id(snapshot)
    assert set(items) == {"i-0abc", "vpc-1", "db-ABCDEF"}
    assert snapshot.items[0].name == "wallet-signer"
    assert snapshot.items[0].system == "WALLET"
    assert snapshot.items[0].kind == "virtual_machine"
    assert snapshot.relations == [Relation("i-0abc", "vpc-1", "part_of")]


def test_an_aws_config_item_without_resource_id_is_refused_with_its_path() -> None:
    data = b'{"configurationItems": [{"resourceType": "AWS::EC2::Instance"}]}'
    with pytest.raises(CmdbFileError, match=r"\$\.configurationItems\[0\]\.resourceId"):
        parse("aws_config", data)


def test_a_kubernetes_list_gives_nodes_workloads_pods_services_and_their_links() -> None:
    snapshot = parse("kubernetes", _read("kubernetes.json"))
    items = _by_id(snapshot)
    assert set(items) == {
        "Node/node-a",
        "Deployment/exchange/web",
        "StatefulSet/exchange/kyc-db",
        "Service/exchange/web",
        "Pod/exchange/kyc-db-0",
    }
    web = snapshot.items[1]
    assert (web.kind, web.system, web.version) == ("container", "WEB", "2.4.1")
    assert snapshot.items[0].version == "v1.29.3"
    assert set(snapshot.relations) == {
        Relation("Pod/exchange/kyc-db-0", "StatefulSet/exchange/kyc-db", "part_of"),
        Relation("Pod/exchange/kyc-db-0", "Node/node-a", "runs_on"),
        Relation("Service/exchange/web", "Deployment/exchange/web", "connects_to"),
    }


def test_a_kubernetes_object_without_a_name_is_refused_with_its_path() -> None:
    data = b'{"kind": "List", "items": [{"kind": "Pod", "metadata": {}}]}'
    with pytest.raises(CmdbFileError, match=r"\$\.items\[0\]\.metadata\.name"):
        parse("kubernetes", data)


def test_a_netbox_export_gives_devices_vms_services_and_cables() -> None:
    snapshot = parse("netbox", _read("netbox.json"))
    items = _by_id(snapshot)
    assert {i: items[i].kind for i in items} == {  # type: ignore[attr-defined]
        "dcim.device:1": "network_device",
        "dcim.device:2": "server",
        "virtualization.virtualmachine:10": "virtual_machine",
        "ipam.service:20": "service",
        "dcim.cable:30": "network_link",
    }
    assert snapshot.items[0].owner == "sys"
    assert snapshot.items[2].system == "KYC"
    assert set(snapshot.relations) == {
        Relation("virtualization.virtualmachine:10", "dcim.device:2", "runs_on"),
        Relation("ipam.service:20", "virtualization.virtualmachine:10", "runs_on"),
        Relation("dcim.device:1", "dcim.cable:30", "connects_to"),
        Relation("dcim.device:2", "dcim.cable:30", "connects_to"),
        Relation("dcim.device:1", "dcim.device:2", "connects_to"),
    }


def test_a_netbox_result_of_another_endpoint_is_refused_with_its_path() -> None:
    data = b'{"results": [{"id": 1, "url": "https://nb/api/tenancy/tenants/1/"}]}'
    with pytest.raises(CmdbFileError, match=r"\$\.results\[0\]\.url"):
        parse("netbox", data)


def test_an_unknown_source_is_refused() -> None:
    with pytest.raises(CmdbFileError, match="expected one of"):
        parse("ansible", b"")
