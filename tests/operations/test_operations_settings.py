"""The settings the operations controls measure against change only with two officers'
approval (SRM 12-5, 21-2, 9): a systems manager proposes, nothing changes until two officers
other than the proposer approve, out-of-bounds values are refused, and a proposal made stale
by another change is not applied."""

from __future__ import annotations

import pytest

from mamori.accounts.models import ApprovalRequest
from mamori.accounts.services import approvals
from mamori.operations.models import CmdbSetting
from mamori.operations.services import cmdb_register, operations_settings
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db

URL = "/operations/settings/"


def _officers_approve(request_id: int, suffix: str = "") -> None:
    for who, role in ((f"ciso-s{suffix}", "ciso"), (f"board-s{suffix}", "board_member")):
        approvals.decide(request_id, give(make_user(who), role), "approve", "agreed")


def test_widening_how_recently_an_item_was_seen_waits_for_two_officers() -> None:
    manager = give(make_user("dsm-s"), "dept_system_manager")
    assert cmdb_register.setting().seen_within_days == 30
    asked = operations_settings.propose(
        "cmdb", {"seen_within_days": 365, "licence_warning_days": 60}, manager
    )
    assert cmdb_register.setting().seen_within_days == 30  # proposed is not in force
    with pytest.raises(approvals.ApprovalRefused):
        approvals.decide(asked.pk, manager, "approve", "mine")
    _officers_approve(asked.pk)
    assert cmdb_register.setting().seen_within_days == 365


@pytest.mark.parametrize(
    ("code", "values", "refusal"),
    [
        ("cmdb", {"seen_within_days": 0, "licence_warning_days": 60}, "bad_setting"),
        ("status", {"confirm_by_hour": 24}, "bad_setting"),
        ("reviews", {"min_severity": "S9", "drills": False}, "bad_setting"),
        ("reviews", {"min_severity": "S2", "drills": False}, "nothing_changes"),
        ("nosuch", {}, "unknown_setting"),
    ],
)
def test_a_value_out_of_bounds_or_unchanged_is_refused(code, values, refusal) -> None:
    manager = give(make_user("dsm-s"), "dept_system_manager")
    with pytest.raises(operations_settings.SettingRefused) as refused:
        operations_settings.propose(code, values, manager)
    assert refused.value.code == refusal
    assert not ApprovalRequest.objects.filter(kind=operations_settings.KIND).exists()


def test_a_proposal_made_stale_meanwhile_is_not_applied() -> None:
    manager = give(make_user("dsm-s"), "dept_system_manager")
    asked = operations_settings.propose("status", {"confirm_by_hour": 18}, manager)
    with pytest.raises(operations_settings.SettingRefused) as twice:
        operations_settings.propose("status", {"confirm_by_hour": 20}, manager)
    assert twice.value.code == "already_pending"
    from mamori.operations.models import StatusSetting

    StatusSetting.objects.update_or_create(pk=1, defaults={"confirm_by_hour": 9})
    approvals.decide(asked.pk, give(make_user("ciso-t"), "ciso"), "approve", "agreed")
    with pytest.raises(operations_settings.SettingRefused) as stale:
        approvals.decide(asked.pk, give(make_user("board-t"), "board_member"), "approve", "ok")
    assert stale.value.code == "stale"
    assert operations_settings.current("status") == {"confirm_by_hour": 9}


def test_the_page_shows_the_settings_and_only_managers_propose() -> None:
    reader = client_for(give(make_user("dev-s"), "developer"))
    page = reader.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="setting-cmdb"' in page and 'id="setting-status"' in page
    assert 'name="which"' not in page
    assert reader.post(URL, {"which": "status", "status-confirm_by_hour": "9"}).status_code == 403
    manager = client_for(give(make_user("dsm-s"), "dept_system_manager"))
    refused = manager.post(
        URL, {"which": "status", "status-confirm_by_hour": "30"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Between 0 and 23." in refused.content.decode()
    proposed = manager.post(
        URL, {"which": "status", "status-confirm_by_hour": "9"}, follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    text = proposed.content.decode()
    assert "two officers approve" in text and 'id="pending-settings"' in text
    assert not CmdbSetting.objects.filter(seen_within_days=9).exists()
