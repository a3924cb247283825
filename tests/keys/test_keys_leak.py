"""Leak response as people use it (ISM 30): the runbook drafted, approved through the shared
approvals and flagged for revision by custody changes; drills with key holders; the
compensation policy; the KEY-05 control; My tasks; the demo."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mamori.accounts.models import ApprovalRequest
from mamori.accounts.services import approvals
from mamori.core.demo import DemoReport
from mamori.core.tasks import tasks_for
from mamori.keys import leak
from mamori.keys.models import Drill, ResponseDocument, ResponseVersion
from mamori.rulebook.models import Control
from mamori.rulebook.services.controls import run_control
from tests.conftest import client_for, give, make_user
from tests.keys.helpers import hot_wallet

pytestmark = pytest.mark.django_db

STEPS = "15 | Alert the CSIRT and the CISO\n30 | Halt withdrawals\n240 | Sweep to a fresh wallet"


@pytest.fixture
def inv():
    inventory = hot_wallet()
    give(inventory.holders["watanabe"], "key_holder")
    give(inventory.holders["yamamoto"], "key_holder")
    return inventory


@pytest.fixture
def approver():
    return give(make_user("sgm-leak"), "system_general_manager")


def draft(client, wallet, kind: str = "runbook", **extra):
    data = {"text": "# Runbook\nDo the steps.", "steps": STEPS, "wallets": [wallet.pk], **extra}
    return client.post(f"/keys/leak/{kind}/new/", data)


def approve_version(version: ResponseVersion, by, approver) -> None:
    request = leak.submit(version, by)
    approvals.decide(request.pk, approver, "approve", "reviewed")


def approved_runbook(inv, approver) -> ResponseVersion:
    version = leak.save_version(
        "runbook", inv.ciso, text="runbook", steps=leak.parse_steps(STEPS), wallets=[inv.wallet]
    )
    approve_version(version, inv.ciso, approver)
    version.refresh_from_db()
    return version


def test_a_runbook_is_drafted_sent_and_becomes_current_only_once_approved(inv, approver) -> None:
    client = client_for(inv.ciso)
    page = draft(client, inv.wallet)
    assert page.status_code == 302
    version = ResponseVersion.objects.get()
    assert version.status == "draft" and version.number == 1
    assert [s["minutes"] for s in version.steps] == [15, 30, 240]
    assert list(version.wallets.values_list("name", flat=True)) == ["btc-hot"]
    assert client.post(f"/keys/leak/versions/{version.pk}/").status_code == 302
    version.refresh_from_db()
    assert version.status == "pending" and version.approval is not None
    assert leak.approved("runbook") is None
    text = client.get("/keys/leak/").content.decode()
    assert "承認済みの版がない" in text or "none approved" in text
    shown = client_for(approver).get(f"/accounts/approvals/{version.approval_id}/").content.decode()
    assert f"/keys/leak/versions/{version.pk}/" in shown and "第1版の承認" in shown
    approvals.decide(version.approval_id, approver, "approve", "ok")
    version.refresh_from_db()
    assert version.status == "approved" and version.approved_at is not None
    page = client.get("/keys/leak/").content.decode()
    assert "Halt withdrawals" in page and "btc-hot" in page


def test_the_requester_cannot_approve_their_own_runbook(inv) -> None:
    version = leak.save_version(
        "runbook", inv.ciso, text="x", steps=leak.parse_steps(STEPS), wallets=[inv.wallet]
    )
    request = leak.submit(version, inv.ciso)
    with pytest.raises(approvals.ApprovalRefused):
        approvals.decide(request.pk, inv.ciso, "approve", "mine")
    assert leak.approved("runbook") is None


def test_a_rejected_version_stays_out_and_the_previous_one_stays_current(
    inv, approver, django_capture_on_commit_callbacks
) -> None:
    first = approved_runbook(inv, approver)
    second = leak.save_version(
        "runbook", inv.ciso, text="v2", steps=leak.parse_steps(STEPS), wallets=[inv.wallet]
    )
    request = leak.submit(second, inv.ciso)
    with django_capture_on_commit_callbacks(execute=True):
        approvals.decide(request.pk, approver, "reject", "not yet")
    second.refresh_from_db()
    assert second.status == "rejected"
    assert leak.approved("runbook") == first


def test_bad_steps_are_refused_naming_the_lines_and_nothing_is_drafted(inv) -> None:
    page = draft(client_for(inv.ciso), inv.wallet, steps="15 | Alert\nhalt withdrawals\n0 | x")
    text = page.content.decode()
    assert page.status_code == 200 and "2, 3" in text
    assert not ResponseVersion.objects.exists()


def test_a_runbook_without_wallets_or_steps_is_refused(inv) -> None:
    page = client_for(inv.ciso).post("/keys/leak/runbook/new/", {"text": "x", "steps": ""})
    assert page.status_code == 200 and not ResponseVersion.objects.exists()
    assert 'id="refused"' in page.content.decode() and "拒否" in page.content.decode()


def test_an_uploaded_pdf_is_kept_by_its_hash_and_served_and_a_fake_one_refused(inv) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(inv.ciso)
    fake = SimpleUploadedFile("policy.pdf", b"not a pdf", content_type="application/pdf")
    page = client.post("/keys/leak/compensation/new/", {"text": "", "file": fake})
    assert page.status_code == 200 and not ResponseVersion.objects.exists()
    pdf = SimpleUploadedFile("policy.pdf", b"%PDF-1.4 compensation", content_type="application/pdf")
    assert client.post("/keys/leak/compensation/new/", {"text": "", "file": pdf}).status_code == 302
    version = ResponseVersion.objects.get()
    assert version.document.kind == "compensation" and len(version.file_sha256) == 64
    served = client.get(f"/keys/leak/versions/{version.pk}/file/")
    assert b"".join(served.streaming_content) == b"%PDF-1.4 compensation"


def test_a_custody_change_flags_the_runbook_and_a_newer_approved_version_clears_it(
    inv, approver
) -> None:
    approved_runbook(inv, approver)
    client = client_for(inv.ciso)
    page = client.post(
        f"/keys/wallets/{inv.wallet.pk}/edit/",
        {
            "name": "btc-hot",
            "chain": "bitcoin",
            "asset": "BTC",
            "scheme": "multisig",
            "m": 2,
            "n": 3,
            "hash_function": "sha256",
            "address_lines": "",
            "responsible": inv.holders["watanabe"].pk,
        },
    )
    assert page.status_code == 302  # hot unticked: the wallet is now cold
    runbook = ResponseDocument.objects.get(kind="runbook")
    assert runbook.revision_required_since is not None
    assert runbook.revision_reasons[-1]["reason"] == "wallet changed"
    assert "hot: True → False" in runbook.revision_reasons[-1]["what"]
    assert "Revision required" in client.get("/keys/leak/").content.decode() or "改訂" in (
        client.get("/keys/leak/").content.decode()
    )
    second = leak.save_version(
        "runbook", inv.ciso, text="v2", steps=leak.parse_steps(STEPS), wallets=[inv.wallet]
    )
    leak.flag_runbook_revision("signing system registered", "HSM cluster 2")  # after drafting
    approve_version(second, inv.ciso, approver)
    runbook.refresh_from_db()
    assert [r["what"] for r in runbook.revision_reasons] == ["HSM cluster 2"]
    third = leak.save_version(
        "runbook", inv.ciso, text="v3", steps=leak.parse_steps(STEPS), wallets=[inv.wallet]
    )
    approve_version(third, inv.ciso, approver)
    runbook.refresh_from_db()
    assert runbook.revision_required_since is None and runbook.revision_reasons == []


def test_entering_a_key_flags_the_runbook(inv, approver) -> None:
    from tests.keys.test_keys_inventory import entry

    approved_runbook(inv, approver)
    page = client_for(inv.ciso).post(
        "/keys/keys/new/", entry(inv.wallet, inv.holders["tanaka"], inv.sites["tokyo-dc"])
    )
    assert page.status_code == 302
    reason = ResponseDocument.objects.get(kind="runbook").revision_reasons[-1]
    assert reason["reason"] == "key added" and "hot-b" in reason["what"]


def test_a_drill_is_scheduled_with_key_holders_only_and_reminds_them(inv, approver) -> None:
    approved_runbook(inv, approver)
    client = client_for(inv.ciso)
    when = (timezone.localdate() + timedelta(days=7)).isoformat()
    refused = client.post(
        "/keys/leak/drills/new/",
        {
            "scheduled_for": when,
            "scenario": "hot-a leaked",
            "participants": [inv.holders["ito"].pk],
        },
    )
    assert refused.status_code == 200 and not Drill.objects.exists()
    page = client.post(
        "/keys/leak/drills/new/",
        {
            "scheduled_for": when,
            "scenario": "hot-a leaked",
            "participants": [inv.holders["watanabe"].pk, inv.holders["yamamoto"].pk],
        },
    )
    assert page.status_code == 302
    drill = Drill.objects.get()
    titles = [t.title for g in tasks_for(inv.holders["watanabe"]) for t in g.tasks]
    assert any("hot-a leaked" in t for t in titles)
    assert not any("hot-a leaked" in t for g in tasks_for(inv.holders["ito"]) for t in g.tasks)
    assert drill.runbook is not None


def test_a_drill_is_recorded_with_step_times_and_a_bad_record_changes_nothing(
    inv, approver
) -> None:
    approved_runbook(inv, approver)
    drill = leak.schedule_drill(
        timezone.localdate(), "hot-a leaked", [inv.holders["watanabe"]], inv.ciso
    )
    client = client_for(inv.ciso)
    today = timezone.localdate().isoformat()
    bad = client.post(
        f"/keys/leak/drills/{drill.pk}/",
        {"held_on": today, "took_part": [inv.holders["watanabe"].pk], "step_times": "10\n20"},
    )
    assert bad.status_code == 200 and "3" in bad.content.decode()
    drill.refresh_from_db()
    assert drill.status == "scheduled" and drill.step_times == []
    good = client.post(
        f"/keys/leak/drills/{drill.pk}/",
        {
            "held_on": today,
            "took_part": [inv.holders["watanabe"].pk],
            "step_times": "10\n45\n-",
            "findings": "halting took too long",
        },
    )
    assert good.status_code == 302
    drill.refresh_from_db()
    assert drill.status == "completed"
    assert [s["minutes"] for s in drill.step_times] == [10, 45, None]
    assert [s["target"] for s in drill.step_times] == [15, 30, 240]
    page = client.get(f"/keys/leak/drills/{drill.pk}/").content.decode()
    assert "halting took too long" in page and "45" in page


def test_a_drill_falling_due_shows_among_the_managers_tasks(inv, approver) -> None:
    titles = [t.title for g in tasks_for(inv.ciso) for t in g.tasks]
    assert any("drill" in t.lower() or "訓練" in t for t in titles)


def test_key_05_not_measured_then_red_naming_the_part_then_green(inv, approver) -> None:
    control = Control.objects.get(code="KEY-05")
    run = run_control(control)
    assert run.outcome == "fail" and "not measured" in run.summary_en
    approved_runbook(inv, approver)
    run = run_control(control)
    assert run.outcome == "fail"
    assert "no drill held" in run.summary_en and "no approved compensation policy" in run.summary_en
    drill = leak.schedule_drill(timezone.localdate(), "drill", [inv.holders["watanabe"]], inv.ciso)
    leak.record_drill(drill, timezone.localdate(), [inv.holders["watanabe"]], "1\n2\n3", "")
    policy = leak.save_version("compensation", inv.ciso, text="we compensate")
    approve_version(policy, inv.ciso, approver)
    run = run_control(control)
    assert run.outcome == "pass", run.summary_en
    leak.flag_runbook_revision("wallet created", "eth-hot")
    assert run_control(control).outcome == "pass"  # within the grace period
    ResponseDocument.objects.filter(kind="runbook").update(
        revision_required_since=timezone.now() - timedelta(days=leak.FLAG_GRACE_DAYS + 1)
    )
    run = run_control(control)
    assert run.outcome == "fail" and "awaits revision" in run.summary_en
    assert "eth-hot" in run.summary_en


def test_key_05_turns_red_when_the_last_drill_is_over_a_year_old(inv, approver) -> None:
    approved_runbook(inv, approver)
    policy = leak.save_version("compensation", inv.ciso, text="we compensate")
    approve_version(policy, inv.ciso, approver)
    old = timezone.localdate() - timedelta(days=400)
    drill = leak.schedule_drill(old, "drill", [inv.holders["watanabe"]], inv.ciso)
    leak.record_drill(drill, old, [inv.holders["watanabe"]], "1\n2\n3", "")
    run = run_control(Control.objects.get(code="KEY-05"))
    assert run.outcome == "fail" and "over 12 months" in run.summary_en


def test_viewers_read_the_leak_pages_but_cannot_draft(inv) -> None:
    viewer = give(make_user("holder-view"), "key_holder")  # keys.view only
    client = client_for(viewer)
    assert client.get("/keys/leak/").status_code == 200
    assert client.get("/keys/leak/runbook/new/").status_code == 403
    assert client.get("/keys/").content.decode().count("/keys/leak/") >= 1


def test_the_demo_approves_v1_flags_it_and_records_a_drill(db) -> None:
    from mamori.accounts import demo as accounts_demo
    from mamori.keys import demo, demo_leak

    report = DemoReport()
    accounts_demo.load(report)
    demo.load(report)
    demo_leak.load(report)
    demo_leak.load(report)  # idempotent
    runbook = leak.approved("runbook")
    assert runbook is not None and runbook.number == 1
    assert runbook.document.revision_required_since is not None
    assert "btc-hot" in runbook.document.revision_reasons[0]["what"]
    assert leak.approved("compensation") is not None
    drill = Drill.objects.get()
    assert drill.status == "completed" and drill.step_times[1]["minutes"] == 75
    assert ApprovalRequest.objects.filter(kind=leak.KIND, status="approved").count() == 2
    assert run_control(Control.objects.get(code="KEY-05")).outcome == "pass"


def test_api_says_the_state_and_flags_the_runbook_for_an_outside_change(inv, approver) -> None:
    approved_runbook(inv, approver)
    client = client_for(inv.ciso)
    state = client.get("/api/keys/leak").json()
    assert state["runbook_version"] == 1 and state["runbook_wallets"] == ["btc-hot"]
    assert set(state["failing"]) == {"drill", "compensation"}
    assert state["revision_required_since"] is None
    flagged = client.post(
        "/api/keys/leak/flag",
        {"reason": "signing system registered", "what": "HSM cluster tokyo-2"},
        content_type="application/json",
    )
    assert flagged.status_code == 201
    assert flagged.json()["revision_reasons"][-1]["what"] == "HSM cluster tokyo-2"
    empty = client.post(
        "/api/keys/leak/flag", {"reason": " ", "what": ""}, content_type="application/json"
    )
    assert empty.status_code == 422 and empty.json()["code"] == "incomplete"
    nul = client.post(
        "/api/keys/leak/flag", {"reason": "x", "what": "HSM\x00"}, content_type="application/json"
    )
    assert nul.status_code == 422 and nul.json()["code"] == "nul_character"
    assert nul.json()["fields"][0]["field"] == "body.what"
    auditor = client_for(give(make_user("auditor-leak"), "internal_auditor"))
    assert auditor.get("/api/keys/leak").status_code == 200
    refused = auditor.post(
        "/api/keys/leak/flag", {"reason": "x", "what": "y"}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert len(ResponseDocument.objects.get(kind="runbook").revision_reasons) == 1


def test_the_leak_page_on_a_new_install_says_not_measured_and_writes_nothing(inv) -> None:
    ResponseDocument.objects.all().delete()
    client = client_for(inv.ciso)
    page = client.get("/keys/leak/")
    assert page.status_code == 200 and 'id="state-none"' in page.content.decode()
    assert client.get("/api/keys/leak").json()["measured"] is False
    assert not ResponseDocument.objects.exists()
