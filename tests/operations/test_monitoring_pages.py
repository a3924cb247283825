"""The monitoring pages (SRM 21-1): services listed with state and since, added and edited by
those who manage monitoring, one service with its state timeline, alerts, rules, probes and
heartbeats; people without monitoring.manage cannot change them."""

from __future__ import annotations

import pytest

from mamori.operations.models import AlertRule, MonitoredService, Probe
from mamori.operations.services import monitoring
from tests.conftest import client_for, give, make_user
from tests.operations.monitoring_world import service

pytestmark = pytest.mark.django_db


def test_a_system_manager_adds_a_service_with_a_rule_and_a_probe_and_sees_its_timeline() -> None:
    dsm = client_for(give(make_user("dsm-sato"), "dept_system_manager"))
    existing = service("web")
    added = dsm.post(
        "/operations/monitoring/add/",
        {
            "code": "wallet",
            "name_ja": "ウォレット",
            "name_en": "Wallet",
            "system": existing.system.pk,
            "availability_target": "99.950",
        },
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    wallet = MonitoredService.objects.get(code="wallet")
    rule = dsm.post(
        "/operations/monitoring/wallet/rule/add/",
        {
            "rule-name": "wallet down",
            "rule-matchers": "service=wallet\njob=wallet-api",
            "rule-state": "down",
            "rule-open_incident": "on",
            "rule-severity": "S1",
            "rule-kind": "system_failure",
            "rule-priority": "10",
        },
    )
    assert rule.status_code == 302
    assert AlertRule.objects.get().matchers == {"service": "wallet", "job": "wallet-api"}
    bad = dsm.post(
        "/operations/monitoring/wallet/probe/add/",
        {
            "probe-kind": "tcp",
            "probe-target": "wallet.internal",
            "probe-interval_seconds": "30",
            "probe-timeout_seconds": "5",
            "probe-expected_status": "200",
            "probe-failures_before_down": "2",
        },
    )
    assert bad.status_code == 422 and not Probe.objects.exists()
    monitoring.set_state(wallet, "down", "alert firing: WalletDown")
    monitoring.set_state(wallet, "up", "alert resolved: WalletDown")
    page = dsm.get("/operations/monitoring/wallet/").content.decode()
    assert "WalletDown" in page and "wallet down" in page
    listed = dsm.get("/operations/monitoring/").content.decode()
    assert "wallet" in listed and "web" in listed
    csv = dsm.get("/operations/monitoring/?export=csv")
    assert csv.status_code == 200 and b"wallet" in csv.content


def test_a_developer_sees_the_services_but_cannot_change_them() -> None:
    service("web")
    dev = client_for(give(make_user("dev-ono"), "developer"))
    assert dev.get("/operations/monitoring/").status_code == 200
    assert dev.get("/operations/monitoring/web/").status_code == 200
    assert dev.get("/operations/monitoring/alerts/").status_code == 200
    assert dev.get("/operations/monitoring/add/").status_code == 403
    assert dev.post("/operations/monitoring/web/probe/add/", {}).status_code == 403
