"""The checks modules offer pass and fail on what they look at, and are kept as runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mamori.accounts.models import Department, Role, RoleAssignment, User
from mamori.core.compliance import CheckResult, get_check, register_check
from mamori.rulebook.models import Control, ControlRun
from mamori.rulebook.services.controls import run_control, run_due, states
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def run(code: str) -> ControlRun:
    return run_control(Control.objects.get(code=code), "test")


def test_mfa_check_fails_naming_an_account_without_totp_then_passes(people) -> None:
    make_user("no-phone", enrolled=False)
    failed = run("ACC-01")
    assert failed.outcome == "fail" and "no-phone" in failed.summary_en
    assert failed.evidence["without_totp"] == ["no-phone"]
    User.objects.filter(username="no-phone").update(is_active=False)
    assert run("ACC-01").outcome == "pass"


def test_role_held_check_follows_appointments_and_revocations(people) -> None:
    assert run("ACC-03").outcome == "pass"
    RoleAssignment.objects.filter(role__code="system_general_manager").update(
        revoked_at=timezone.now()
    )
    result = run("ACC-03")
    assert result.outcome == "fail"
    assert result.summary_en == "nobody who can sign in holds the role System general manager"


def test_department_coverage_names_departments_without_a_manager(people) -> None:
    systems = Department.objects.create(code="systems", name_ja="システム部", name_en="Systems")
    Department.objects.create(code="custody", name_ja="カストディ部", name_en="Custody")
    RoleAssignment.objects.create(
        user=people["ciso"], role=Role.objects.get(code="dept_system_manager"), department=systems
    )
    result = run("ACC-05")
    assert result.outcome == "fail" and result.evidence["missing"] == ["custody"]


def test_key_holder_granted_without_approval_fails_the_check(people) -> None:
    custody = Department.objects.create(code="custody", name_ja="カストディ部", name_en="Custody")
    RoleAssignment.objects.create(
        user=people["nobody"], role=Role.objects.get(code="key_holder"), department=custody
    )
    result = run("ACC-07")
    assert result.outcome == "fail" and result.evidence["unapproved"] == ["nobody@custody"]


def test_audit_log_check_needs_a_recent_successful_verification(people) -> None:
    from mamori.auditlog.runs import verify_and_record

    assert run("AUD-01").summary_en == "the audit log was never verified"
    verify_and_record()
    passed = run("AUD-01")
    assert passed.outcome == "pass" and passed.evidence["ok"] is True


def test_a_check_that_raises_is_an_error_never_a_pass(people) -> None:
    def broken() -> CheckResult:
        raise RuntimeError("database on fire")

    register_check("test.broken", broken, "tests")
    control = Control.objects.get(code="SCH-01")
    control.check_code = "test.broken"
    control.save()
    result = run_control(control)
    assert result.outcome == "error" and "database on fire" in result.summary_en
    assert not states()[control.pk].ok


def test_every_check_the_catalogue_names_is_registered() -> None:
    for control in Control.objects.exclude(kind="document"):
        assert get_check(control.check_code).code == control.check_code


def test_due_controls_run_once_per_half_period_and_late_runs_make_the_control_fail(
    people,
) -> None:
    first = run_due()
    assert {r.control.code for r in first} == set(
        Control.objects.exclude(kind="document").values_list("code", flat=True)
    )
    assert run_due() == []
    later = timezone.now() + timedelta(hours=30)
    control = Control.objects.get(code="ACC-03")
    assert states(later)[control.pk].reason_en.startswith("ACC-03: last run is late")


def test_owners_are_told_once_a_day_what_is_overdue(people) -> None:
    from mamori.notifications.models import Notification
    from mamori.rulebook.services.controls import remind_owners

    told = remind_owners()
    assert told >= 2  # at least the CISO's and the system general manager's controls
    ciso_notice = Notification.objects.get(topic="rulebook.attention", levels__0__0__role="ciso")
    assert "AUD-01" in ciso_notice.body_en and ciso_notice.severity == "warning"
