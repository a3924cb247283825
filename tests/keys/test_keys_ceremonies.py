"""Key ceremonies as recorded workflows (ISM 28-1, 28-2): planned with their script, people and
window, approved by two people other than the planner, each step checked off in order, the
public output verified and kept (which addresses matched), then completed — and no seed or
private key typed anywhere during a ceremony ever reaches the database or the log."""

from __future__ import annotations

import logging
import os
from datetime import timedelta

import pytest
from django.utils import timezone
from embit import bip32

from mamori.accounts.models import ApprovalRequest
from mamori.accounts.services import approvals
from mamori.keys import ceremonies
from mamori.keys.models import Ceremony
from tests.conftest import client_for, give, make_user
from tests.keys.helpers import hot_wallet
from tests.keys.test_keys_secrets import MNEMONIC, ZPUB, _everything_stored

pytestmark = pytest.mark.django_db

GOOD = "0/0 bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"
BAD = "0/1 bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el"


def _when(delta: timedelta) -> str:
    return timezone.localtime(timezone.now() + delta).strftime("%Y-%m-%dT%H:%M")


def _plan_form(inv, **changes) -> dict:
    form = {
        "title": "btc-hot recovery drill",
        "kind": "recovery",
        "wallet": inv.wallet.pk,
        "sites": [inv.sites["osaka-dc"].pk, inv.sites["tokyo-hq"].pk],
        "starts_at": _when(timedelta(hours=-1)),
        "ends_at": _when(timedelta(hours=3)),
        "script": "Open the vault\nRestore the recovery key on the Coldcard\nExport the xpub",
        "participants": "ito: recovery key holder\nwatanabe: operator",
        "witnesses": "tanaka",
    }
    form.update(changes)
    return form


@pytest.fixture
def team():
    inv = hot_wallet()
    sgm = give(make_user("sgm-keys"), "system_general_manager")
    operator = give(make_user("operator-keys"), "custody_operator")
    return inv, sgm, operator


def _planned(inv, client) -> Ceremony:
    page = client.post("/keys/ceremonies/new/", _plan_form(inv))
    assert page.status_code == 302, page.content.decode()
    return Ceremony.objects.get(title="btc-hot recovery drill")


def test_a_ceremony_is_planned_approved_by_two_others_conducted_and_its_output_verified(
    team, english
) -> None:
    inv, sgm, operator = team
    ciso = client_for(inv.ciso)
    refused = ciso.post(
        "/keys/ceremonies/new/", _plan_form(inv, witnesses="ito"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "a witness may not be a participant: ito" in refused.content.decode()
    assert not Ceremony.objects.exists()

    ceremony = _planned(inv, ciso)
    assert [s.text for s in ceremony.steps.all()] == [
        "Open the vault",
        "Restore the recovery key on the Coldcard",
        "Export the xpub",
    ]
    ciso.post(f"/keys/ceremonies/{ceremony.pk}/start/")  # not approved: refused
    ceremony.refresh_from_db()
    assert ceremony.state == "planned"

    ciso.post(f"/keys/ceremonies/{ceremony.pk}/approval/")
    ceremony.refresh_from_db()
    request = ceremony.approval
    assert request is not None and request.policy.code == "key_ceremony"
    assert request.snapshot["script"][1] == "Restore the recovery key on the Coldcard"
    assert request.snapshot["witnesses"] == ["tanaka"]
    shown = client_for(sgm).get(f"/accounts/approvals/{request.pk}/")
    text = shown.content.decode()
    assert "鍵セレモニー btc-hot recovery drill（btc-hot、手順書 第1版）" in text
    assert f"/keys/ceremonies/{ceremony.pk}/" in text
    with pytest.raises(approvals.ApprovalRefused) as mine:
        approvals.decide(request.pk, inv.ciso, "approve", "my own plan")
    assert mine.value.code == "self_approval"
    approvals.decide(request.pk, sgm, "approve", "script checked")
    ceremony.refresh_from_db()
    assert ceremony.state == "planned"  # one approval is not enough
    approvals.decide(request.pk, operator, "approve", "people checked")
    ceremony.refresh_from_db()
    assert ceremony.state == "approved"

    ciso.post(f"/keys/ceremonies/{ceremony.pk}/start/")
    page = ciso.post(
        f"/keys/ceremonies/{ceremony.pk}/step/",
        {"step": 2, "note": "early"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "step 1 must be checked off first" in page.content.decode()
    for number in (1, 2, 3):
        ciso.post(f"/keys/ceremonies/{ceremony.pk}/step/", {"step": number, "note": f"ok {number}"})
    page = ciso.post(
        f"/keys/ceremonies/{ceremony.pk}/complete/",
        {"note": "done"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "record the ceremony&#x27;s public output first" in page.content.decode()
    ciso.post(
        f"/keys/ceremonies/{ceremony.pk}/output/",
        {"kind": "xpub", "public_data": ZPUB, "addresses": f"{GOOD}\n{BAD}"},
    )
    ceremony.refresh_from_db()
    assert ceremony.output_matched is False
    assert [line["holds"] for line in ceremony.output_result] == [True, False]
    ciso.post(
        f"/keys/ceremonies/{ceremony.pk}/output/",
        {"kind": "xpub", "public_data": ZPUB, "addresses": GOOD},
    )
    ciso.post(f"/keys/ceremonies/{ceremony.pk}/complete/", {"note": "xpub verified"})
    ceremony.refresh_from_db()
    assert ceremony.state == "completed" and ceremony.output_matched is True
    step = ceremony.steps.get(number=2)
    assert step.done_by == inv.ciso and step.note == "ok 2" and step.done_at is not None

    detail = ciso.get(f"/keys/ceremonies/{ceremony.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    text = detail.content.decode()
    assert "matches the address derived from the public output" in text
    assert "Restore the recovery key on the Coldcard" in text and "ok 3" in text
    assert "History" in text or "history" in text
    listing = ciso.get("/keys/ceremonies/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "btc-hot recovery drill" in listing

    api = ciso.get("/api/keys/ceremonies").json()
    assert [(c["title"], c["state"], c["output_matched"]) for c in api] == [
        ("btc-hot recovery drill", "completed", True)
    ]
    one = ciso.get(f"/api/keys/ceremonies/{ceremony.pk}").json()
    assert [s["done_by"] for s in one["steps"]] == ["ciso-keys"] * 3
    assert {p["person"]: p["witness"] for p in one["people"]} == {
        "ito": False,
        "watanabe": False,
        "tanaka": True,
    }
    assert ciso.get("/api/keys/ceremonies/987654").status_code == 404


def test_a_script_changed_after_the_request_is_not_what_was_approved(team) -> None:
    inv, sgm, operator = team
    ceremony = _planned(inv, client_for(inv.ciso))
    request = ceremonies.request_approval(ceremony, inv.ciso)
    ceremonies.revise_script(ceremony, "Open the vault\nSomething else", inv.ciso)
    approvals.decide(request.pk, sgm, "approve", "ok")
    with pytest.raises(approvals.SnapshotMismatch):
        approvals.decide(request.pk, operator, "approve", "ok")
    ceremony.refresh_from_db()
    assert ceremony.state == "planned"
    assert ApprovalRequest.objects.get(pk=request.pk).status == "pending"


def test_no_secret_reaches_the_database_or_the_log_during_a_ceremony(team, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    inv, sgm, operator = team
    client = client_for(inv.ciso)
    xprv = bip32.HDKey.from_seed(os.urandom(32)).to_base58()
    for secret in (xprv, MNEMONIC):
        page = client.post("/keys/ceremonies/new/", _plan_form(inv, script=f"Step\n{secret}"))
        assert "拒否しました" in page.content.decode() and secret not in page.content.decode()
    assert not Ceremony.objects.exists()
    ceremony = _planned(inv, client)
    request = ceremonies.request_approval(ceremony, inv.ciso)
    approvals.decide(request.pk, sgm, "approve", "ok")
    approvals.decide(request.pk, operator, "approve", "ok")
    client.post(f"/keys/ceremonies/{ceremony.pk}/start/")
    for secret in (xprv, MNEMONIC):
        for action, data in (
            ("step", {"step": 1, "note": secret}),
            ("output", {"kind": "xpub", "public_data": secret, "addresses": ""}),
            ("output", {"kind": "xpub", "public_data": ZPUB, "addresses": secret}),
            ("complete", {"note": secret}),
            ("abandon", {"reason": secret}),
        ):
            page = client.post(f"/keys/ceremonies/{ceremony.pk}/{action}/", data, follow=True)
            text = page.content.decode()
            assert "拒否しました" in text, action
            assert secret not in text
    ceremony.refresh_from_db()
    assert ceremony.state == "in_progress" and ceremony.output_at is None
    assert ceremony.steps.filter(done_at__isnull=False).count() == 0
    stored = _everything_stored()
    assert "btc-hot recovery drill" in stored  # the search does see the ceremony
    assert xprv not in stored
    assert "legal winner thank" not in stored
    assert xprv not in caplog.text and "legal winner thank" not in caplog.text


def test_a_revised_script_is_a_new_version_and_an_abandoned_ceremony_stays_abandoned(team) -> None:
    inv, sgm, operator = team
    client = client_for(inv.ciso)
    ceremony = _planned(inv, client)
    client.post(f"/keys/ceremonies/{ceremony.pk}/script/", {"script": "Open\nCheck\nClose"})
    ceremony.refresh_from_db()
    assert ceremony.script_version == 2
    assert [s.text for s in ceremony.steps.all()] == ["Open", "Check", "Close"]
    request = ceremonies.request_approval(ceremony, inv.ciso)
    assert request.snapshot["script_version"] == 2
    client.post(f"/keys/ceremonies/{ceremony.pk}/abandon/", {"reason": "postponed"})
    approvals.decide(request.pk, sgm, "approve", "ok")
    approvals.decide(request.pk, operator, "approve", "ok")
    ceremony.refresh_from_db()
    assert ceremony.state == "abandoned" and ceremony.closing_note == "postponed"
