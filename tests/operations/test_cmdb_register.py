"""The configuration register people work in (SRM 7-2, 12-2..4): the table filters and
downloads, items recorded by hand are created and edited by those who keep the register,
imported items are left to their source, relations carry the kind of data that flows, the
API reads with its scope, and the graph of a system draws its items and flows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mamori.accounts.services import tokens
from mamori.operations.models import ConfigurationItem, Relation
from mamori.operations.services import cmdb_register
from mamori.operations.services.cmdb_register import CmdbRefused
from tests.conftest import client_for
from tests.operations.cmdb_world import item, world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w() -> dict[str, object]:
    return world()


def test_the_register_filters_by_kind_system_and_gone_and_downloads_what_is_shown(w) -> None:
    item(w, "me-prod-01", system=w["matching-engine"])
    item(w, "prod-db", kind="cloud_resource", system=w["db"])
    item(w, "old-vm", system=w["db"], gone_since=timezone.now())
    client = client_for(w["auditor"])
    page = client.get("/operations/cmdb/?kind=virtual_machine").content.decode()
    assert "me-prod-01" in page and "old-vm" in page and "prod-db" not in page
    by_system = client.get(f"/operations/cmdb/?system={w['db'].pk}").content.decode()
    assert "prod-db" in by_system and "me-prod-01" not in by_system
    still = client.get("/operations/cmdb/?gone=false").content.decode()
    assert "old-vm" not in still and "me-prod-01" in still
    csv = client.get("/operations/cmdb/?gone=true&export=csv").content.decode()
    assert "old-vm" in csv and "me-prod-01" not in csv
    assert client.get("/operations/cmdb/?export=xlsx").status_code == 200


def test_a_manager_records_and_edits_an_item_by_hand_and_a_developer_cannot(w) -> None:
    client = client_for(w["dsm"])
    added = client.post(
        "/operations/cmdb/add/",
        {
            "kind": "hardware",
            "name": "HSM 本番",
            "external_id": "hsm-01",
            "system": w["matching-engine"].pk,
            "department": w["department"].pk,
            "system_manager": w["dsm"].pk,
            "criticality": "high",
            "lifecycle": "active",
        },
    )
    assert added.status_code == 302
    hsm = ConfigurationItem.objects.get(external_id="hsm-01")
    assert hsm.source == "manual" and hsm.system == w["matching-engine"]
    edited = client.post(
        f"/operations/cmdb/items/{hsm.pk}/edit/",
        {
            "kind": "hardware",
            "name": "HSM 本番 (A-12)",
            "external_id": "hsm-01",
            "department": w["department"].pk,
            "system_manager": w["dsm"].pk,
            "location": "東京DC",
            "criticality": "high",
            "lifecycle": "active",
        },
    )
    assert edited.status_code == 302
    hsm.refresh_from_db()
    assert hsm.name == "HSM 本番 (A-12)" and hsm.location == "東京DC" and hsm.system is None
    developer = client_for(w["dev"])
    assert developer.get("/operations/cmdb/add/").status_code == 403
    assert developer.get(f"/operations/cmdb/items/{hsm.pk}/").status_code == 200


def test_an_imported_item_is_not_edited_by_hand(w) -> None:
    vm = item(w, "me-prod-01")
    response = client_for(w["dsm"]).get(f"/operations/cmdb/items/{vm.pk}/edit/", follow=True)
    assert response.redirect_chain[-1][0] == f"/operations/cmdb/items/{vm.pk}/"
    assert "terraform" in response.content.decode()


def test_a_data_flow_needs_its_kind_of_data_and_shows_on_both_items(w) -> None:
    app = item(w, "matching-engine app", kind="software", system=w["matching-engine"])
    db = item(w, "prod-db", kind="cloud_resource", system=w["db"])
    client = client_for(w["dsm"])
    refused = client.post(
        f"/operations/cmdb/items/{app.pk}/relations/",
        {"kind": "holds_data", "target": db.pk},
        follow=True,
    )
    assert "Name the kind of data" in refused.content.decode() or "データの種類" in (
        refused.content.decode()
    )
    assert not Relation.objects.exists()
    client.post(
        f"/operations/cmdb/items/{app.pk}/relations/",
        {"kind": "holds_data", "target": db.pk, "data_kind": "注文データ"},
    )
    assert "注文データ" in client.get(f"/operations/cmdb/items/{app.pk}/").content.decode()
    page = client.get(f"/operations/cmdb/items/{db.pk}/").content.decode()
    assert "matching-engine app" in page and "注文データ" in page
    with pytest.raises(CmdbRefused):
        cmdb_register.add_relation(app, app, "depends_on")


def test_removing_a_relation_deletes_a_manual_one_and_flags_an_imported_one(w) -> None:
    a = item(w, "a", source="manual")
    b = item(w, "b", source="manual")
    c = item(w, "c")
    manual = cmdb_register.add_relation(a, b, "depends_on")
    imported = cmdb_register.add_relation(a, c, "connects_to")
    client = client_for(w["dsm"])
    client.post(f"/operations/cmdb/relations/{manual.pk}/remove/")
    client.post(f"/operations/cmdb/relations/{imported.pk}/remove/")
    assert not Relation.objects.filter(pk=manual.pk).exists()
    imported.refresh_from_db()
    assert imported.gone_since is not None


def test_the_api_reads_items_and_relations_with_the_cmdb_scope(w) -> None:
    app = item(w, "app", kind="software", system=w["matching-engine"])
    db = item(w, "prod-db", kind="cloud_resource", system=w["db"])
    cmdb_register.add_relation(app, db, "holds_data", "顧客個人データ")
    reader = Client(
        HTTP_AUTHORIZATION=f"Bearer {tokens.issue('r', ['cmdb:read'], 30, w['dev']).secret}"
    )
    items = reader.get("/api/operations/cmdb/items?system=db").json()["items"]
    assert [i["name"] for i in items] == ["prod-db"]
    assert reader.get("/api/operations/cmdb/items?kind=nope").status_code == 422
    flows = reader.get("/api/operations/cmdb/relations?system=matching-engine").json()["items"]
    assert [(f["kind"], f["data_kind"]) for f in flows] == [("holds_data", "顧客個人データ")]
    other = Client(
        HTTP_AUTHORIZATION=f"Bearer {tokens.issue('s', ['systems:read'], 30, w['dev']).secret}"
    )
    assert other.get("/api/operations/cmdb/items").status_code == 403


def test_a_systems_graph_draws_its_items_its_neighbours_and_gone_ones_dashed(w) -> None:
    app = item(w, "engine-app", kind="software", system=w["matching-engine"])
    vm = item(w, "me-prod-01", system=w["matching-engine"], gone_since=timezone.now())
    db = item(w, "prod-db", kind="cloud_resource", system=w["db"])
    item(w, "kyc-only", system=w["db"])
    cmdb_register.add_relation(app, vm, "runs_on")
    cmdb_register.add_relation(app, db, "holds_data", "注文データ")
    client = client_for(w["auditor"])
    page = client.get("/operations/systems/matching-engine/graph/").content.decode()
    assert page.count('class="cmdb-node"') == 3
    assert "engine-app" in page and "prod-db" in page and "kyc-only" not in page
    assert "注文データ" in page and 'stroke-dasharray="6 4"' in page
    assert "<script" not in page.split('id="cmdb-graph"')[1].split("</section>")[0]
    again = client.get("/operations/systems/matching-engine/graph/").content.decode()
    assert _svg(again) == _svg(page)
    dept = client.get("/operations/cmdb/departments/systems/graph/").content.decode()
    assert "kyc-only" in dept and "engine-app" in dept
    system_page = client.get("/operations/systems/matching-engine/").content.decode()
    assert "/operations/systems/matching-engine/graph/" in system_page


def _svg(page: str) -> str:
    return page.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_the_item_page_lists_the_monitored_services_using_it(w) -> None:
    from mamori.operations.models import MonitoredService

    vm = item(w, "me-prod-01", system=w["matching-engine"])
    service = MonitoredService.objects.create(
        code="order-api", name_ja="注文API", name_en="Order API", system=w["matching-engine"]
    )
    service.items.add(vm)
    page = client_for(w["auditor"]).get(f"/operations/cmdb/items/{vm.pk}/").content.decode()
    assert "order-api" in page
    assert timedelta(0) <= timezone.now() - vm.last_seen_at
