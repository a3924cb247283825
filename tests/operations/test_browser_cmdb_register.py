"""In Debian's Chromium, an auditor opens the matching engine's page, follows its link to the
graph of equipment and information flows (SRM 7-2) and sees its items drawn with the kind of
data that flows between them."""

from __future__ import annotations

import pytest

from tests.conftest import give, make_user
from tests.rulebook.test_browser_rulebook import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_systems_graph_shows_its_nodes_and_an_information_flow_in_the_browser(
    server, browser_page
) -> None:
    from playwright.sync_api import expect

    from mamori.operations.services import cmdb_register
    from tests.operations.cmdb_world import item, world

    w = world()
    auditor = give(make_user("auditor-mori"), "internal_auditor")
    app = item(w, "engine-app", kind="software", system=w["matching-engine"])
    vm = item(w, "me-prod-01", system=w["matching-engine"])
    db = item(w, "prod-db", kind="cloud_resource", system=w["db"])
    cmdb_register.add_relation(app, vm, "runs_on")
    cmdb_register.add_relation(app, db, "holds_data", "注文データ")
    page, url = browser_page, server.url
    sign_in(page, url, auditor)

    page.goto(f"{url}/operations/systems/matching-engine/")
    page.locator("#system-graph").click()
    graph = page.locator("#cmdb-graph svg.cmdb-graph")
    expect(graph).to_be_visible()
    expect(graph.locator("g.cmdb-node")).to_have_count(3)
    for name in ("engine-app", "me-prod-01", "prod-db"):
        expect(graph.locator("text.cmdb-node-label", has_text=name)).to_be_visible()
    expect(graph.locator("text.cmdb-edge-label", has_text="注文データ")).to_be_visible()
    expect(page.locator("#cmdb-flows")).to_contain_text("注文データ")
