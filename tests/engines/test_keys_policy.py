"""Allowed cryptographic schemes and strengths as data, checked against the inventory
(ISM 29-1-6; encryption of keys and backups, ISM 28-3-1/28-3-6)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mamori.engines.keys import (
    Backup,
    Inventory,
    PolicyError,
    Scheme,
    SigningScheme,
    check_policy,
    policy_from_data,
)
from tests.engines._keys_demo import demo_inventory


def _short(findings):
    return {(f.code, f.subject): f for f in findings if not f.holds}


def test_the_demo_inventory_meets_the_default_policy_check_by_check():
    findings = check_policy(demo_inventory())
    assert _short(findings) == {}
    assert {f.code for f in findings} >= {"policy.curve", "policy.threshold", "policy.encryption"}


def test_weak_curves_small_rsa_thin_thresholds_and_plain_backups_are_reported():
    inventory = demo_inventory()
    keys = list(inventory.keys)
    keys[0] = replace(keys[0], curve="secp192r1")
    keys[1] = replace(keys[1], curve="RSA", key_bits=2048)
    keys[2] = replace(keys[2], backups=(Backup("hot-c-bk", "Nagoya", "abe", encryption="DES"),))
    wallets = (
        replace(inventory.wallets[0], scheme=SigningScheme(Scheme.MULTISIG, 1, 3)),
        replace(inventory.wallets[1], hash_function="md5"),
    )
    short = _short(check_policy(Inventory(wallets, tuple(keys))))
    assert short[("policy.curve", "hot-a")].got == "secp192r1"
    assert short[("policy.key_size", "hot-b")].expected == "at least 3072 bits"
    assert short[("policy.encryption", "hot-c-bk")].got == "DES"
    assert short[("policy.threshold", "btc-hot")].got == "m = 1"
    assert short[("policy.hash_function", "btc-cold")].got == "md5"
    assert ("policy.curve", "inventory") not in short


def test_an_exchange_policy_given_as_data_tightens_the_checks():
    policy = policy_from_data({"curves": ["secp256k1"], "rsa_min_bits": 4096, "mpc_min_m": 3})
    short = _short(check_policy(demo_inventory(), policy))
    assert set(short) == {("policy.threshold", "btc-cold")}
    assert short[("policy.threshold", "btc-cold")].expected == "m >= 3"
    hot_single = Inventory(
        (replace(demo_inventory().wallets[0], scheme=SigningScheme(Scheme.SINGLE)),),
        tuple(k for k in demo_inventory().keys if k.id == "hot-a"),
    )
    assert ("policy.hot_single_key", "btc-hot") in _short(check_policy(hot_single))


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"curve": ["ed25519"]}, "unknown fields"),
        ({"curves": "ed25519"}, "expected a list of names"),
        ({"rsa_min_bits": "2048"}, "expected a positive integer"),
        ({"hot_wallet_single_key": "yes"}, "expected true or false"),
    ],
)
def test_a_malformed_policy_is_refused(data, said):
    with pytest.raises(PolicyError, match=said):
        policy_from_data(data)


def test_a_key_without_its_generation_record_and_a_backup_without_detection_are_reported():
    from mamori.engines.keys import GenerationRecord, check_records

    inventory = demo_inventory()
    assert [f.subject for f in check_records(inventory) if f.subject.startswith("hot")] == []
    keys = list(inventory.keys)
    keys[0] = replace(
        keys[0],
        generation=GenerationRecord("sato", "BIP-39", rng_spec=""),
        backups=(Backup("hot-a-bk", "Osaka DC", "kimura", "AES-256-GCM", ("kimura",)),),
    )
    found = {
        (f.code, f.subject): f for f in check_records(Inventory(inventory.wallets, tuple(keys)))
    }
    assert set(found) >= {
        ("record.rng_spec", "hot-a"),
        ("record.prior_verification", "hot-a"),
        ("record.witnesses", "hot-a"),
        ("record.backup_detection", "hot-a-bk"),
    }
    assert found[("record.backup_detection", "hot-a-bk")].article == "ISM 28-3-5"
    assert ("record.generation", "cold-1") in found  # the MPC shares have no record
