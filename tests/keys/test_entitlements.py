"""Key-holder entitlements as people use them (ISM 31): a grant approved, carried out and
checked by three different people, the key holder role required, imports all-or-nothing,
a new finding alerted once, the control KEY-04, pages, checklist, API and demo."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from mamori.accounts.models import User
from mamori.accounts.services import approvals, tokens
from mamori.core.demo import DemoReport
from mamori.keys import entitlements
from mamori.keys.models import (
    AccountImport,
    EntitlementChange,
    EntitlementFinding,
    EntitlementGrant,
    KeySystem,
    Reconciliation,
)
from mamori.notifications.models import Notification
from mamori.rulebook.models import Control
from mamori.rulebook.services.controls import run_control
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, object]:
    people = {
        "ciso": give(make_user("ciso-kim"), "ciso"),
        "asker": give(make_user("op-ono"), "custody_operator"),
        "doer": give(make_user("sys-sato"), "dept_system_manager"),
        "checker": give(make_user("sec-ito"), "dept_information_manager"),
        "owner": make_user("owner-oda"),
        "holder": give(make_user("kh-yama"), "key_holder"),
        "plain": make_user("plain-pak"),
    }
    system = KeySystem.objects.create(
        name="hsm-admin",
        kind=KeySystem.Kind.HSM_ADMIN,
        roles=["crypto-officer", "crypto-user"],
        owner=people["owner"],
    )
    return {"people": people, "system": system}


def _grant(
    world: dict, role: str = "crypto-user", action: str = "grant", **kw
) -> EntitlementChange:
    p = world["people"]
    return entitlements.request_change(
        world["system"], p["holder"], action, role, "appointed", p["asker"], **kw
    )


def _approve(change: EntitlementChange, by: User) -> EntitlementChange:
    approvals.decide(change.approval_id, by, "approve", "needed")
    change.refresh_from_db()
    return change


def _through(world: dict, change: EntitlementChange) -> EntitlementChange:
    p = world["people"]
    _approve(change, p["ciso"])
    entitlements.record_done(change, p["doer"], "done")
    return entitlements.record_check(change, p["checker"], True, "listed and compared")


def _import(world: dict, text: str, by: str = "ciso") -> AccountImport:
    return entitlements.import_accounts(
        world["system"], "csv", text.encode(), "users.csv", world["people"][by]
    )


def test_a_grant_needs_the_key_holder_role(world) -> None:
    p = world["people"]
    with pytest.raises(entitlements.EntitlementRefused) as refused:
        entitlements.request_change(
            world["system"], p["plain"], "grant", "crypto-user", "x", p["asker"]
        )
    assert refused.value.code == "not_key_holder" and "ISM 31-1" in refused.value.message
    assert not EntitlementChange.objects.exists()
    with pytest.raises(entitlements.EntitlementRefused) as unknown:
        _grant(world, role="root")
    assert unknown.value.code == "unknown_role"


def test_approver_doer_and_checker_must_be_three_different_people(world) -> None:
    p = world["people"]
    change = _approve(_grant(world), p["ciso"])
    assert change.status == "approved" and change.approver == p["ciso"]
    with pytest.raises(entitlements.EntitlementRefused) as early:
        entitlements.record_check(change, p["checker"], True, "looked")
    assert early.value.code == "not_done" and "承認済み・作業待ち" in early.value.message
    with pytest.raises(entitlements.EntitlementRefused) as approver_does:
        entitlements.record_done(change, p["ciso"])
    assert approver_does.value.code == "segregation" and approver_does.value.status == 409
    assert not EntitlementGrant.objects.exists()
    entitlements.record_done(change, p["doer"], "created in the HSM")
    assert EntitlementGrant.objects.get(person=p["holder"]).active
    for same in ("doer", "ciso"):
        with pytest.raises(entitlements.EntitlementRefused) as refused:
            entitlements.record_check(change, p[same], True, "looked")
        assert refused.value.code == "segregation"
    checked = entitlements.record_check(change, p["checker"], True, "listed and compared")
    assert checked.status == "checked"
    assert {checked.approver, checked.done_by, checked.checked_by} == {
        p["ciso"],
        p["doer"],
        p["checker"],
    }


def test_segregation_is_refused_on_the_page_in_japanese(world) -> None:
    p = world["people"]
    change = _approve(_grant(world), p["ciso"])
    page = client_for(p["ciso"]).post(
        f"/keys/systems/changes/{change.pk}/done/", {"note": "x"}, follow=True
    )
    text = page.content.decode()
    assert "3人" in text or "三者" in text or "別の人" in text
    change.refresh_from_db()
    assert change.status == "approved"


def test_the_person_concerned_cannot_approve_and_removal_follows_the_same_steps(world) -> None:
    p = world["people"]
    give(p["holder"], "ciso")
    change = _grant(world)
    with pytest.raises(approvals.ApprovalRefused):
        approvals.decide(change.approval_id, p["holder"], "approve", "me")
    _through(world, change)
    removal = _through(world, _grant(world, action="removal"))
    assert removal.status == "checked"
    assert not EntitlementGrant.objects.filter(active=True).exists()


def test_an_import_with_bad_rows_keeps_nothing_and_names_every_line(world) -> None:
    made = _import(world, "account,person,role\nok,kh-yama,crypto-user\n,x,y\nz,kh-yama\n")
    assert made.status == "refused" and made.rows == [] and made.row_count == 0
    assert [e["line"] for e in made.errors] == [3, 4]
    assert not Reconciliation.objects.exists() and not EntitlementFinding.objects.exists()
    message = entitlements.refused(made).message
    assert "2" in message and "3" in message and "4" in message
    with translation.override("ja"):
        said = entitlements.refused(made).message
    assert "3 行目: 欠けている項目: account" in said and "4 行目: 列が 2 個" in said


def test_a_new_finding_alerts_once_and_stays_open_until_cleared(world) -> None:
    p = world["people"]
    _through(world, _grant(world))
    _through(world, _grant(world, action="removal"))
    still = "account,person,role\ncu-yama,kh-yama,crypto-user\n"
    _import(world, still)
    finding = EntitlementFinding.objects.get()
    assert finding.code == "entitlement.not_removed" and finding.status == "open"
    alerts = Notification.objects.filter(topic="keys.entitlement_finding")
    assert alerts.count() == 1
    level = alerts.get().levels[0]
    assert {"role": "ciso", "department": None} in level and {"user": "owner-oda"} in level
    assert "kh-yama" in alerts.get().body_en
    _import(world, still)
    assert alerts.count() == 1
    finding.refresh_from_db()
    assert finding.status == "open" and finding.last_seen == Reconciliation.objects.first()
    _import(world, "account,person,role\nso-x,kh-yama@nowhere.example,crypto-officer\n")
    finding.refresh_from_db()
    assert finding.status == "cleared"
    assert alerts.count() == 2  # the unknown person is new
    assert EntitlementFinding.objects.get(status="open").code == "entitlement.unknown_person"
    assert p["ciso"]


def test_the_control_is_not_measured_then_red_then_green(world) -> None:
    control = Control.objects.get(code="KEY-04")
    first = run_control(control)
    assert first.outcome == "fail" and first.evidence["measured"] is False
    assert "not measured" in first.summary_en
    _through(world, _grant(world))
    _import(
        world, "account,person,role\ncu-yama,kh-yama,crypto-user\nrogue,ciso-kim,crypto-officer\n"
    )
    red = run_control(control)
    assert red.outcome == "fail" and "entitlement.no_grant" in red.summary_en
    finding = EntitlementFinding.objects.get(status="open")
    entitlements.resolve(finding, world["people"]["ciso"], "account deleted in the HSM")
    assert run_control(control).outcome == "pass"
    Reconciliation.objects.update(at=timezone.now() - timedelta(days=40))
    late = run_control(control)
    assert late.outcome == "fail" and "hsm-admin" in late.evidence["late"]


def test_a_change_not_checked_within_a_week_turns_the_control_red(world) -> None:
    p = world["people"]
    change = _approve(_grant(world), p["ciso"])
    entitlements.record_done(change, p["doer"])
    _import(world, "account,person,role\ncu-yama,kh-yama,crypto-user\n")
    assert run_control(Control.objects.get(code="KEY-04")).outcome == "pass"
    EntitlementChange.objects.update(done_at=timezone.now() - timedelta(days=8))
    run = run_control(Control.objects.get(code="KEY-04"))
    assert run.outcome == "fail" and run.evidence["unchecked"]


def test_a_grant_outliving_the_key_holder_role_turns_the_control_red(world) -> None:
    from mamori.accounts.models import RoleAssignment

    _through(world, _grant(world))
    _import(world, "account,person,role\ncu-yama,kh-yama,crypto-user\n")
    control = Control.objects.get(code="KEY-04")
    assert run_control(control).outcome == "pass"
    RoleAssignment.objects.filter(user=world["people"]["holder"]).update(revoked_at=timezone.now())
    run = run_control(control)
    assert run.outcome == "fail" and run.evidence["lapsed"] == ["hsm-admin: kh-yama crypto-user"]
    assert "no longer key holders" in run.summary_en


def test_pages_checklist_and_upload(world) -> None:
    p = world["people"]
    _through(world, _grant(world))
    client = client_for(p["ciso"])
    listed = client.get("/keys/systems/")
    assert listed.status_code == 200 and "hsm-admin" in listed.content.decode()
    upload = SimpleUploadedFile("u.csv", b"account,person,role\nbad\n", content_type="text/csv")
    page = client.post(
        f"/keys/systems/{world['system'].pk}/imports/",
        {"file_format": "csv", "file": upload},
        follow=True,
    )
    assert page.status_code == 200 and AccountImport.objects.get().status == "refused"
    good = SimpleUploadedFile(
        "u.csv", b"account,person,role\nso,kh-yama,crypto-officer\n", content_type="text/csv"
    )
    page = client.post(
        f"/keys/systems/{world['system'].pk}/imports/",
        {"file_format": "csv", "file": good},
        follow=True,
    )
    text = page.content.decode()
    assert "entitlement.role_differs" in text
    checklist = client.get(f"/keys/systems/{world['system'].pk}/checklist/")
    assert "sec-ito" in checklist.content.decode()
    csv_body = client.get(f"/keys/systems/{world['system'].pk}/checklist/?format=csv")
    body = csv_body.content.decode("utf-8-sig")
    assert "ciso-kim" in body and "sys-sato" in body and "sec-ito" in body
    assert "crypto-user" in body
    pdf = client.get(f"/keys/systems/{world['system'].pk}/checklist/?format=pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    auditor = client_for(give(make_user("audit-kato"), "internal_auditor"))
    assert auditor.get(f"/keys/systems/{world['system'].pk}/checklist/").status_code == 200
    assert auditor.post(f"/keys/systems/{world['system'].pk}/imports/").status_code == 403


def test_api_lists_systems_imports_with_keys_write_and_refuses_bad_rows(world) -> None:
    p = world["people"]
    writer = tokens.issue("writer", ["keys:write", "keys:read"], 30, p["ciso"])
    reader = tokens.issue("reader", ["keys:read"], 30, p["ciso"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {writer.secret}"}
    from django.test import Client

    client = Client()
    url = f"/api/keys/systems/{world['system'].pk}/imports"
    bad = SimpleUploadedFile("u.json", b'[{"account": "a"}]', content_type="application/json")
    refused = client.post(url, {"file": bad, "file_format": "json"}, **auth)
    assert refused.status_code == 422 and refused.json()["code"] == "import_refused"
    assert refused.json()["fields"][0]["field"] == "line 1"
    assert not Reconciliation.objects.exists()
    good = SimpleUploadedFile(
        "u.json",
        b'[{"account": "a", "person": "kh-yama", "role": "crypto-user"}]',
        content_type="application/json",
    )
    made = client.post(url, {"file": good, "file_format": "json"}, **auth)
    assert made.status_code == 201, made.content
    assert made.json()["raised_findings"][0]["code"] == "entitlement.no_grant"
    other = SimpleUploadedFile("u.csv", b"x", content_type="text/csv")
    read_only = {"HTTP_AUTHORIZATION": f"Bearer {reader.secret}"}
    assert client.post(url, {"file": other}, **read_only).status_code == 403
    systems = client.get("/api/keys/systems", **read_only).json()
    assert systems[0]["name"] == "hsm-admin" and systems[0]["open_findings"] == 1
    runs = client.get(f"/api/keys/systems/{world['system'].pk}/reconciliations", **read_only)
    assert runs.json()[0]["rows"] == 1
    assert client.get("/api/keys/systems/987654/reconciliations", **read_only).status_code == 404


def test_demo_shows_a_person_still_present_after_removal() -> None:
    from mamori.core.demo import load_demo

    report: DemoReport = load_demo()
    assert any("not_removed" in line for line in report.lines)
    hsm = KeySystem.objects.get(name="hsm-admin-tokyo")
    assert hsm.findings.get(status="open").code == "entitlement.not_removed"
    assert KeySystem.objects.get(name="aws-kms-signing").findings.count() == 0
    assert KeySystem.objects.count() == 2
