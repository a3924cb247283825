"""The key inventory as people use it (ISM 28, 29-1-5): entry refused by the spread rules,
the daily check, a department move, the control, the demo, pages and API in both languages."""

from __future__ import annotations

import pytest

from mamori.accounts.models import Role, RoleAssignment
from mamori.core.demo import DemoReport
from mamori.keys.models import KeyMaterial, RuleResult, Wallet
from mamori.notifications.models import Notification
from mamori.rulebook.models import Control
from mamori.rulebook.services.controls import run_control
from mamori.scheduler.jobs import get_job
from tests.conftest import client_for, give, make_user
from tests.keys.helpers import hot_wallet, key

pytestmark = pytest.mark.django_db


@pytest.fixture
def inv():
    return hot_wallet()


def entry(wallet: Wallet, holder, site, label: str = "hot-b") -> dict[str, object]:
    return {
        "wallet": wallet.pk,
        "label": label,
        "role": "operating",
        "holder": holder.pk,
        "site": site.pk,
        "storage_kind": "hardware_wallet",
        "storage_model": "Ledger Nano X",
        "encryption": "AES-256-GCM",
        "curve": "secp256k1",
        "generated_by": "watanabe",
        "method": "BIP-39 on an air-gapped Coldcard",
        "rng_spec": "Coldcard TRNG",
        "prior_verification": "BIP-39 vectors",
        "witnesses": "kato, takahashi",
    }


def test_an_entry_breaking_a_spread_rule_is_refused_in_japanese_naming_the_keys(inv) -> None:
    page = client_for(inv.ciso).post(
        "/keys/keys/new/", entry(inv.wallet, inv.holders["yamamoto"], inv.sites["tokyo-dc"])
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "拒否" in text and "hot-a と hot-b" in text and "組織単位" in text
    assert not KeyMaterial.objects.filter(label="hot-b").exists()


def test_an_entry_keeping_the_spread_is_entered_and_every_rule_holds(inv) -> None:
    page = client_for(inv.ciso).post(
        "/keys/keys/new/", entry(inv.wallet, inv.holders["tanaka"], inv.sites["tokyo-dc"])
    )
    assert page.status_code == 302
    assert KeyMaterial.objects.filter(label="hot-b").exists()
    assert RuleResult.objects.filter(wallet=inv.wallet).exists()
    assert not RuleResult.objects.filter(wallet=inv.wallet, holds=False).exists()
    assert run_control(Control.objects.get(code="KEY-01")).outcome == "pass"


def test_the_daily_check_turns_the_control_red_and_alerts_once(inv) -> None:
    key(inv, "hot-b", "operating", "yamamoto", "tokyo-dc")  # imported past the entry check
    job = get_job("keys.daily_check")
    job.func()
    job.func()
    alerts = Notification.objects.filter(topic="keys.spread_violation")
    assert alerts.count() == 1
    alert = alerts.get()
    assert "hot-a と hot-b" in alert.body_ja and "hot-a and hot-b" in alert.body_en
    levels = alert.levels[0]
    assert {"role": "ciso", "department": None} in levels and {"user": "watanabe"} in levels
    run = run_control(Control.objects.get(code="KEY-01"))
    assert run.outcome == "fail" and "multisig_apart" in run.summary_en
    assert RuleResult.objects.get(wallet=inv.wallet, code="spread.multisig_apart").holds is False


def test_a_department_move_produces_the_finding_at_once(inv) -> None:
    key(inv, "hot-b", "operating", "tanaka", "tokyo-dc")
    get_job("keys.daily_check").func()
    assert not RuleResult.objects.filter(holds=False, code__startswith="spread.").exists()
    tanaka = inv.holders["tanaka"]
    tanaka.department = inv.departments["custody"]
    tanaka.save()
    result = RuleResult.objects.get(wallet=inv.wallet, code="spread.multisig_apart")
    assert result.holds is False
    assert {"first": "hot-a", "second": "hot-b", "attribute": "unit", "value": "custody"} in (
        result.conflicts
    )
    alert = Notification.objects.get(topic="keys.spread_violation")
    assert "tanaka" in alert.body_en


def test_no_inventory_is_not_measured(db) -> None:
    run = run_control(Control.objects.get(code="KEY-01"))
    assert run.outcome == "fail" and "not measured" in run.summary_en


def test_the_demo_shows_the_one_spread_violation_on_the_wallet_page(db) -> None:
    from mamori.accounts import demo as accounts_demo
    from mamori.keys import demo

    report = DemoReport()
    accounts_demo.load(report)
    demo.load(report)
    demo.load(report)  # idempotent
    assert any(line.startswith("Keys:") for line in report.lines)
    violated = RuleResult.objects.filter(holds=False)
    assert [(r.wallet.name, r.code) for r in violated] == [("btc-hot", "spread.multisig_apart")]
    ciso = give(make_user("ciso-demo"), "ciso")
    wallet = Wallet.objects.get(name="btc-hot")
    client = client_for(ciso)
    page = client.get(f"/keys/wallets/{wallet.pk}/").content.decode()
    assert page.count("rule-violated") == 1 and "hot-a と hot-b" in page
    assert "Osaka DC" in page and "Tokyo HQ" in page and "hot-a-bk" in page
    listed = client.get("/keys/").content.decode()
    assert "btc-hot" in listed and "btc-cold" in listed


def test_the_wallet_page_reads_in_english_and_japanese(inv) -> None:
    key(inv, "hot-b", "operating", "yamamoto", "tokyo-dc")
    get_job("keys.daily_check").func()
    client = client_for(inv.ciso)
    url = f"/keys/wallets/{inv.wallet.pk}/"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Keys and shares" in english and "hot-a and hot-b share the organisation unit" in english
    japanese = client.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "鍵とシェア" in japanese and "hot-a と hot-b" in japanese


def test_auditors_read_others_are_refused_and_only_custody_roles_enter(inv) -> None:
    auditor = client_for(give(make_user("auditor-k"), "internal_auditor"))
    assert auditor.get("/keys/").status_code == 200
    assert auditor.get(f"/keys/wallets/{inv.wallet.pk}/").status_code == 200
    assert auditor.get("/keys/keys/new/").status_code == 403
    nobody = client_for(make_user("nobody-k"))
    assert nobody.get("/keys/").status_code == 403
    operator = client_for(give(make_user("operator-k"), "custody_operator"))
    assert operator.get("/keys/keys/new/").status_code == 200


def test_api_lists_wallets_and_gives_one_with_its_rule_results(inv) -> None:
    key(inv, "hot-b", "operating", "yamamoto", "tokyo-dc")
    get_job("keys.daily_check").func()
    client = client_for(inv.ciso)
    listed = client.get("/api/keys/wallets").json()
    assert [(w["name"], w["keys"], w["violated"]) for w in listed] == [("btc-hot", 3, 1)]
    detail = client.get(f"/api/keys/wallets/{inv.wallet.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert {k["label"] for k in detail["key_material"]} == {"hot-a", "hot-b", "hot-c"}
    bad = [r for r in detail["results"] if not r["holds"]]
    assert [r["code"] for r in bad] == ["spread.multisig_apart"]
    assert "hot-a and hot-b" in bad[0]["said"]
    assert client.get("/api/keys/wallets/987654").status_code == 404


def test_api_entry_is_refused_with_its_code_and_entered_when_apart(inv) -> None:
    client = client_for(inv.ciso)
    body = {
        "wallet": "btc-hot",
        "label": "hot-b",
        "role": "operating",
        "holder": "yamamoto",
        "site": "tokyo-dc",
        "storage_kind": "hardware_wallet",
    }
    refused = client.post("/api/keys/keys", body, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["code"] == "spread_violation"
    assert "hot-a" in refused.json()["message"]
    body["holder"] = "tanaka"
    entered = client.post("/api/keys/keys", body, content_type="application/json")
    assert entered.status_code == 201 and entered.json()["unit"] == "systems"
    auditor = client_for(give(make_user("auditor-api"), "internal_auditor"))
    assert auditor.get("/api/keys/wallets").status_code == 200
    assert auditor.post("/api/keys/keys", body, content_type="application/json").status_code == 403


def test_role_permissions_are_granted_by_the_migration(db) -> None:
    assert "keys.manage" in Role.objects.get(code="ciso").permissions
    assert "keys.view" in Role.objects.get(code="internal_auditor").permissions
    assert "keys.view" not in Role.objects.get(code="developer").permissions
    assert not RoleAssignment.objects.exists()


def test_the_refusal_reads_in_english_for_an_english_reader(inv) -> None:
    client = client_for(inv.ciso)
    page = client.post(
        "/keys/keys/new/",
        entry(inv.wallet, inv.holders["yamamoto"], inv.sites["tokyo-dc"]),
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Refused: this entry would break a spread rule" in page
    assert "hot-a and hot-b share the organisation unit custody" in page


def test_check_now_evaluates_the_inventory_for_those_who_may_edit(inv) -> None:
    key(inv, "hot-b", "operating", "yamamoto", "tokyo-dc")
    auditor = client_for(give(make_user("auditor-now"), "internal_auditor"))
    assert auditor.post("/keys/check/").status_code == 403
    assert not RuleResult.objects.exists()
    assert client_for(inv.ciso).post("/keys/check/").status_code == 302
    assert RuleResult.objects.filter(holds=False, code="spread.multisig_apart").exists()
