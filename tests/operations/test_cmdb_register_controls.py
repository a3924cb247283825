"""The controls of configuration management (SRM 7-2, 12-2..6) read the register: not
measured while it holds no item, green when every live system is known with its owners,
flows and a signed review, red otherwise; and the demo loads its register."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mamori.operations import compliance_cmdb
from mamori.operations.models import CmdbReview, ConfigurationItem
from mamori.operations.services import cmdb_register
from tests.operations.cmdb_world import item, world

pytestmark = pytest.mark.django_db

CHECKS = (
    compliance_cmdb.configuration_known,
    compliance_cmdb.outsourced_in_scope,
    compliance_cmdb.review_signed,
    compliance_cmdb.flows_known,
)


def test_every_control_is_not_measured_while_the_register_is_empty() -> None:
    world()
    for check in CHECKS:
        result = check()
        assert not result.passed and result.evidence == {"measured": False}


def _known(w: dict[str, object]) -> None:
    app = item(w, "app", kind="software", system=w["matching-engine"])
    db = item(w, "prod-db", kind="cloud_resource", system=w["db"])
    cmdb_register.add_relation(app, db, "holds_data", "注文データ")


def test_the_controls_are_green_when_the_register_is_known_and_reviewed() -> None:
    w = world()
    _known(w)
    cmdb_register.sign_review(w["sgm"], 2026, "works")  # type: ignore[arg-type]
    for check in CHECKS:
        result = check()
        assert result.passed, result.summary_en


def test_a_live_system_without_items_or_flows_turns_its_controls_red() -> None:
    w = world()
    item(w, "app", kind="software", system=w["matching-engine"])
    known = compliance_cmdb.configuration_known()
    assert not known.passed and "db: no configuration item" in known.summary_en
    flows = compliance_cmdb.flows_known()
    assert "matching-engine: no relation or information flow recorded" in flows.summary_en
    assert not compliance_cmdb.outsourced_in_scope().passed


def test_ownership_below_the_threshold_and_an_old_review_turn_red() -> None:
    w = world()
    _known(w)
    item(w, "orphan", system=w["db"], department=None, system_manager=None)
    assert "66%" in compliance_cmdb.configuration_known(min_owner_share=90).summary_en
    assert compliance_cmdb.configuration_known(min_owner_share=60).passed
    review = cmdb_register.sign_review(w["sgm"], 2025, "works")  # type: ignore[arg-type]
    CmdbReview.objects.filter(pk=review.pk).update(signed_at=timezone.now() - timedelta(days=400))
    assert not compliance_cmdb.review_signed().passed


def test_the_demo_registers_the_exchanges_items_flows_and_last_years_review() -> None:
    from mamori.core.demo import load_demo

    load_demo()
    assert ConfigurationItem.objects.filter(system__code="wallet-service").exists()
    kinds = set(ConfigurationItem.objects.values_list("kind", flat=True))
    assert {"virtual_machine", "cloud_account", "licence", "contract", "service"} <= kinds
    flows = set(
        ConfigurationItem.objects.filter(relations_out__kind="holds_data").values_list(
            "relations_out__data_kind", flat=True
        )
    )
    assert any("鍵" in f for f in flows) and any("顧客個人データ" in f for f in flows)
    review = CmdbReview.objects.get()
    assert review.year == timezone.localdate().year - 1 and review.signed_by.username == "takahashi"
    assert cmdb_register.evaluate().licences_expiring == 1
    for check in CHECKS:
        assert check().passed, check().summary_en
    load_demo()
    assert CmdbReview.objects.count() == 1
