"""Switching a threshold on or off needs two approvals, as lifting its halt does (issue 22,
finding 4: one person could switch a halt threshold off; ``toggle=abc`` gave a 500)."""

from __future__ import annotations

import pytest

from mamori.accounts.models import ApprovalRequest
from mamori.accounts.services import approvals
from mamori.custody.models import ThresholdRule
from mamori.custody.services import monitor
from tests.conftest import client_for, give, make_user, monitored_btc

pytestmark = pytest.mark.django_db
BTC = 10**8


@pytest.fixture
def desk(db):
    """BTC with a halt threshold; an operator (manages custody), two CISOs and a system
    general manager (manage custody and may approve a halt's lift)."""
    monitor.reset()
    operator = give(make_user("op-ishii"), "custody_operator")
    monitored_btc(operator, [("all", "all", "halt", 20 * BTC, 3600)])
    yield {
        "operator": operator,
        "ciso": give(make_user("ciso-ueda"), "ciso"),
        "ciso2": give(make_user("ciso-noda"), "ciso"),
        "sgm": give(make_user("sgm-kudo"), "system_general_manager"),
        "rule": ThresholdRule.objects.get(code="all"),
    }
    monitor.reset()


def effective() -> list[str]:
    return [rule.code for rule in monitor.current().config.rules]


def test_one_person_cannot_switch_a_halt_threshold_off(desk) -> None:
    page = client_for(desk["ciso"])
    asked = page.post("/custody/thresholds/", {"toggle": str(desk["rule"].pk)}, follow=True)
    assert asked.status_code == 200
    desk["rule"].refresh_from_db()
    assert desk["rule"].active and effective() == ["all"]  # still in force
    request = ApprovalRequest.objects.get(kind="custody.threshold_change")
    assert request.policy.code == "halt_lift" and request.status == "pending"
    assert request.requester == desk["ciso"]
    assert request.snapshot == {
        "rule": "all",
        "current": {"active": True},
        "requested": {"active": False},
    }
    shown = asked.content.decode()
    assert f"#{request.pk}" in shown and "2名の承認" in shown  # said in the UI language
    assert "承認待ち" in shown  # the rule shows the change waits for approval


def test_a_threshold_is_switched_off_once_two_other_people_approve(desk) -> None:
    client_for(desk["ciso"]).post("/custody/thresholds/", {"toggle": str(desk["rule"].pk)})
    request = ApprovalRequest.objects.get(kind="custody.threshold_change")
    with pytest.raises(approvals.ApprovalRefused):
        approvals.decide(request.pk, desk["ciso"], "approve", "mine")  # the requester
    approvals.decide(request.pk, desk["sgm"], "approve", "planned maintenance")
    assert effective() == ["all"]
    approvals.decide(request.pk, desk["ciso2"], "approve", "agreed")
    desk["rule"].refresh_from_db()
    assert not desk["rule"].active and effective() == []
    # switching it on again is asked, and approved, the same way
    client_for(desk["operator"]).post("/custody/thresholds/", {"toggle": str(desk["rule"].pk)})
    again = ApprovalRequest.objects.filter(kind="custody.threshold_change").latest("pk")
    assert again.snapshot["requested"] == {"active": True}
    approvals.decide(again.pk, desk["sgm"], "approve", "maintenance over")
    approvals.decide(again.pk, desk["ciso"], "approve", "agreed")
    assert effective() == ["all"]


def test_an_approved_change_is_refused_if_the_rule_changed_since_it_was_asked(desk) -> None:
    client_for(desk["ciso"]).post("/custody/thresholds/", {"toggle": str(desk["rule"].pk)})
    request = ApprovalRequest.objects.get(kind="custody.threshold_change")
    ThresholdRule.objects.filter(pk=desk["rule"].pk).update(active=False)  # changed meanwhile
    approvals.decide(request.pk, desk["sgm"], "approve", "ok")
    with pytest.raises(approvals.ApprovalRefused) as refused:
        approvals.decide(request.pk, desk["ciso2"], "approve", "ok")
    assert refused.value.code == "stale" and "基準値 all は申請の後に変更" in refused.value.message
    request.refresh_from_db()
    assert request.status == "pending"  # nothing applied


def test_a_second_request_for_the_same_rule_is_refused_while_one_waits(desk) -> None:
    page = client_for(desk["ciso"])
    page.post("/custody/thresholds/", {"toggle": str(desk["rule"].pk)})
    again = page.post("/custody/thresholds/", {"toggle": str(desk["rule"].pk)}, follow=True)
    assert "既に承認待ち" in again.content.decode()
    assert ApprovalRequest.objects.filter(kind="custody.threshold_change").count() == 1


@pytest.mark.parametrize("toggle", ["abc", "", "1.5", "-1"])
def test_a_threshold_named_by_anything_but_its_number_is_a_bad_request(desk, toggle) -> None:
    answer = client_for(desk["ciso"]).post("/custody/thresholds/", {"toggle": toggle})
    assert answer.status_code == 400
    assert "番号" in answer.content.decode()
    assert not ApprovalRequest.objects.filter(kind="custody.threshold_change").exists()


def test_a_snapshot_not_of_the_registered_shape_is_refused(desk) -> None:
    with pytest.raises(approvals.ApprovalRefused) as refused:
        approvals.submit(
            "custody.threshold_change",
            "off",
            {"rule": "all", "current": {"active": True}, "requested": {"active": True}},
            desk["ciso"],
        )
    assert refused.value.code == "bad_snapshot"
