"""Editing the key inventory from the pages (ISM 28): sites and their closing, wallets, keys,
backups and spread rules. A refused edit changes nothing; a change re-evaluates the spread and
alerts; a custody-system change flags the leak-response runbook (ISM 30-2)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from mamori.keys.models import (
    Backup,
    KeyMaterial,
    ResponseDocument,
    RuleResult,
    Site,
    SiteClosure,
    SpreadRule,
    Wallet,
)
from mamori.keys.services import evaluate
from mamori.notifications.models import Notification
from tests.conftest import client_for, give, make_user
from tests.keys.helpers import hot_wallet, key

pytestmark = pytest.mark.django_db


@pytest.fixture
def inv():
    return hot_wallet()


def reasons() -> list[dict[str, str]]:
    found = ResponseDocument.objects.filter(kind="runbook").first()
    return found.revision_reasons if found else []


def wallet_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "eth-hot",
        "chain": "ethereum",
        "asset": "ETH",
        "scheme": "multisig",
        "m": 2,
        "n": 3,
        "hot": "on",
        "hash_function": "keccak256",
        "address_lines": "0x52908400098527886E0F7030069857D2E4169EE7",
        "derivation_path": "m/44h/60h/0h",
    }
    data.update(changes)
    return data


def backup_data(inv, site: str, holder: str = "tanaka", label: str = "hot-a-bk") -> dict:
    return {
        "key": KeyMaterial.objects.get(label="hot-a").pk,
        "label": label,
        "site": inv.sites[site].pk,
        "holder": inv.holders[holder].pk,
        "encryption": "AES-256-GCM",
        "access_rights": "tanaka",
        "access_detection": "vault-door webhook",
    }


def test_a_site_is_created_renamed_and_shown(inv) -> None:
    client = client_for(inv.ciso)
    assert (
        client.post("/keys/sites/new/", {"code": "fukuoka", "name": "Fukuoka"}).status_code == 302
    )
    site = Site.objects.get(code="fukuoka")
    assert (
        client.post(
            f"/keys/sites/{site.pk}/", {"code": "fukuoka", "name": "Fukuoka vault"}
        ).status_code
        == 302
    )
    page = client.get("/keys/sites/").content.decode()
    assert "Fukuoka vault" in page
    assert "Fukuoka" in client.get(f"/keys/sites/{site.pk}/").content.decode()  # with history


def test_closing_a_site_still_keeping_keys_is_refused_naming_them_and_changes_nothing(inv) -> None:
    page = client_for(inv.ciso).post(
        f"/keys/sites/{inv.sites['tokyo-hq'].pk}/close/",
        {"closed_on": timezone.localdate().isoformat(), "reason": "lease ends"},
    )
    text = page.content.decode()
    assert page.status_code == 200 and "hot-a" in text and 'id="refused"' in text
    assert not SiteClosure.objects.exists() and reasons() == []


def test_closing_an_empty_site_flags_the_runbook_and_takes_it_out_of_the_forms(inv) -> None:
    client = client_for(inv.ciso)
    site = inv.sites["tokyo-dc"]
    page = client.post(
        f"/keys/sites/{site.pk}/close/",
        {"closed_on": timezone.localdate().isoformat(), "reason": "lease ends"},
    )
    assert page.status_code == 302 and SiteClosure.objects.filter(site=site).exists()
    assert reasons()[-1]["reason"] == "site closed" and "tokyo-dc" in reasons()[-1]["what"]
    refused = client.post("/keys/backups/new/", backup_data(inv, "tokyo-dc"))
    assert refused.status_code == 200 and not Backup.objects.exists()


def test_a_wallet_is_created_with_its_addresses_and_flags_the_runbook(inv) -> None:
    page = client_for(inv.ciso).post("/keys/wallets/new/", wallet_data())
    assert page.status_code == 302
    wallet = Wallet.objects.get(name="eth-hot")
    assert wallet.addresses == ["0x52908400098527886E0F7030069857D2E4169EE7"] and wallet.hot
    assert reasons()[-1]["reason"] == "wallet created" and "eth-hot" in reasons()[-1]["what"]


def test_a_wallet_whose_m_exceeds_n_is_refused_and_nothing_changes(inv) -> None:
    client = client_for(inv.ciso)
    page = client.post(
        f"/keys/wallets/{inv.wallet.pk}/edit/",
        wallet_data(name="btc-hot", chain="bitcoin", asset="BTC", m=4, n=3, address_lines=""),
    )
    assert page.status_code == 200 and "1 ≤ m ≤ n" in page.content.decode()
    inv.wallet.refresh_from_db()
    assert (inv.wallet.m, inv.wallet.n, inv.wallet.chain) == (2, 3, "bitcoin")
    assert reasons() == []


def test_a_wallet_address_that_looks_like_a_secret_is_refused_and_not_kept(inv) -> None:
    wif = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"
    page = client_for(inv.ciso).post("/keys/wallets/new/", wallet_data(address_lines=wif))
    assert page.status_code == 200 and 'id="refused"' in page.content.decode()
    assert not Wallet.objects.filter(name="eth-hot").exists()


def test_changing_a_wallet_scheme_flags_the_runbook_saying_what_changed(inv) -> None:
    page = client_for(inv.ciso).post(
        f"/keys/wallets/{inv.wallet.pk}/edit/",
        wallet_data(
            name="btc-hot",
            chain="bitcoin",
            asset="BTC",
            m=3,
            n=5,
            address_lines="",
            hash_function="sha256",
        ),
    )
    assert page.status_code == 302
    what = reasons()[-1]["what"]
    assert "m: 2 → 3" in what and "n: 3 → 5" in what


def test_a_new_backup_breaking_the_spread_is_refused_naming_the_conflict(inv) -> None:
    page = client_for(inv.ciso).post("/keys/backups/new/", backup_data(inv, "tokyo-hq"))
    text = page.content.decode()
    assert page.status_code == 200 and "hot-a" in text and "hot-a-bk" in text
    assert not Backup.objects.exists() and reasons() == []


def test_a_new_backup_kept_apart_is_entered_and_a_move_onto_the_key_alerts(inv) -> None:
    client = client_for(inv.ciso)
    assert client.post("/keys/backups/new/", backup_data(inv, "tokyo-dc")).status_code == 302
    backup = Backup.objects.get()
    assert reasons()[-1]["reason"] == "backup added"
    assert not Notification.objects.filter(topic="keys.spread_violation").exists()
    moved = client.post(f"/keys/backups/{backup.pk}/", backup_data(inv, "tokyo-hq"))
    assert moved.status_code == 302  # a change is saved; the violation it brings alerts
    alert = Notification.objects.get(topic="keys.spread_violation")
    assert "hot-a-bk" in alert.body_en
    assert RuleResult.objects.filter(wallet=inv.wallet, holds=False).exists()
    assert reasons()[-1]["reason"] == "backup moved"


def test_moving_a_key_flags_the_runbook_and_alerts_a_violation(inv) -> None:
    key = KeyMaterial.objects.get(label="hot-c")
    page = client_for(inv.ciso).post(
        f"/keys/keys/{key.pk}/",
        {
            "wallet": inv.wallet.pk,
            "role": "recovery",
            "holder": inv.holders["ito"].pk,
            "site": inv.sites["tokyo-hq"].pk,
            "storage_kind": "hsm",
            "storage_model": "Thales Luna 7",
            "encryption": "hsm",
            "curve": "secp256k1",
        },
    )
    assert page.status_code == 302
    assert reasons()[-1]["reason"] == "key moved" and "site" in reasons()[-1]["what"]
    assert Notification.objects.filter(topic="keys.spread_violation").exists()


def test_removing_a_key_with_backups_is_refused_and_without_is_done(inv) -> None:
    client = client_for(inv.ciso)
    client.post("/keys/backups/new/", backup_data(inv, "tokyo-dc"))
    key = KeyMaterial.objects.get(label="hot-a")
    client.post(f"/keys/keys/{key.pk}/", {"remove": "1"})
    assert KeyMaterial.objects.filter(label="hot-a").exists()
    hot_c = KeyMaterial.objects.get(label="hot-c")
    assert client.post(f"/keys/keys/{hot_c.pk}/", {"remove": "1"}).status_code == 302
    assert not KeyMaterial.objects.filter(label="hot-c").exists()
    assert reasons()[-1]["reason"] == "key removed"


def test_a_rule_with_bad_json_is_refused_saying_why_and_nothing_changes(inv) -> None:
    rule = SpreadRule.objects.get(code="site_apart")
    roles = list(rule.roles)
    client = client_for(inv.ciso)
    base = {"code": "site_apart", "scope": "key", "article": "ISM 28-2-6", "active": "on"}
    page = client.post(f"/keys/rules/{rule.pk}/", {**base, "apart_json": '["site",'})
    assert page.status_code == 200 and "JSON" in page.content.decode()
    page = client.post(f"/keys/rules/{rule.pk}/", {**base, "apart_json": '["building"]'})
    text = page.content.decode()
    assert page.status_code == 200 and "building" in text and "organisation" in text
    page = client.post(
        f"/keys/rules/{rule.pk}/", {**base, "apart_json": '["site"]', "roles_json": '["boss"]'}
    )
    assert page.status_code == 200
    rule.refresh_from_db()
    assert rule.apart == ["site"] and rule.roles == roles and rule.active


def test_deactivating_and_adding_rules_reevaluates_and_a_new_violation_alerts(inv) -> None:
    client = client_for(inv.ciso)
    rule = SpreadRule.objects.get(code="multisig_apart")
    data = {
        "code": "multisig_apart",
        "scope": "wallet",
        "apart_json": '["site", "unit", "holder"]',
        "schemes_json": '["multisig"]',
    }
    assert client.post(f"/keys/rules/{rule.pk}/", data).status_code == 302  # active unticked
    rule.refresh_from_db()
    assert not rule.active
    assert not RuleResult.objects.filter(code="spread.multisig_apart").exists()
    key(inv, "hot-b", "operating", "yamamoto", "tokyo-dc")  # same unit as hot-a
    evaluate("import")
    assert not Notification.objects.filter(topic="keys.spread_violation").exists()
    page = client.post(
        "/keys/rules/new/",
        {
            "code": "wallet_unit_apart",
            "scope": "wallet",
            "apart_json": '["unit"]',
            "active": "on",
            "article": "ISM 28-2-7",
        },
    )
    assert page.status_code == 302
    assert RuleResult.objects.filter(code="spread.wallet_unit_apart", holds=False).exists()
    assert Notification.objects.filter(topic="keys.spread_violation").exists()


def test_only_those_who_manage_keys_edit(inv) -> None:
    holder = client_for(give(make_user("kh-edit"), "key_holder"))
    assert holder.get("/keys/sites/").status_code == 200
    assert holder.get("/keys/rules/").status_code == 200
    for url in ("/keys/sites/new/", "/keys/wallets/new/", "/keys/backups/new/", "/keys/rules/new/"):
        assert holder.get(url).status_code == 403
    assert holder.post("/keys/wallets/new/", wallet_data()).status_code == 403
    assert not Wallet.objects.filter(name="eth-hot").exists()


def test_the_keys_page_links_to_every_editing_page(inv) -> None:
    client = client_for(inv.ciso)
    page = client.get("/keys/").content.decode()
    for url in ("/keys/sites/", "/keys/rules/", "/keys/leak/", "/keys/wallets/new/"):
        assert url in page
    wallet = client.get(f"/keys/wallets/{inv.wallet.pk}/").content.decode()
    assert f"/keys/wallets/{inv.wallet.pk}/edit/" in wallet and "/keys/backups/new/" in wallet


def test_nothing_may_be_placed_at_a_closed_site(inv) -> None:
    from mamori.keys import services

    site = inv.sites["tokyo-dc"]
    SiteClosure.objects.create(
        site=site, closed_on=timezone.localdate(), reason="lease ends", closed_by=inv.ciso
    )
    hot_c = KeyMaterial.objects.get(label="hot-c")
    new = KeyMaterial(
        wallet=inv.wallet,
        label="hot-b",
        role="operating",
        holder=inv.holders["tanaka"],
        site=site,
        storage_kind="hsm",
    )
    with pytest.raises(services.KeyRefused, match="tokyo-dc"):
        services.save_key(new)
    assert not KeyMaterial.objects.filter(label="hot-b").exists()
    page = client_for(inv.ciso).post(
        f"/keys/keys/{hot_c.pk}/",
        {
            "wallet": inv.wallet.pk,
            "role": "recovery",
            "holder": inv.holders["ito"].pk,
            "site": site.pk,
            "storage_kind": "steel",
            "curve": "secp256k1",
        },
    )
    assert page.status_code == 200
    hot_c.refresh_from_db()
    assert hot_c.site == inv.sites["osaka-dc"]
