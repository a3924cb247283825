"""Spread rules as data, evaluated (ISM 28-2-3, 28-2-6, 28-2-7, 28-3-2, 29-1-5): per wallet
and rule, holds or violated with the exact keys in conflict; refused at entry; the findings a
change (a person moving department, a site closing) brings."""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.engines.keys import (
    DEFAULT_RULES,
    Backup,
    Conflict,
    HolderLeaves,
    Inventory,
    KeyMaterial,
    PersonMoves,
    Role,
    RuleError,
    Scheme,
    SigningScheme,
    SiteCloses,
    SpreadRule,
    Wallet,
    check_entry,
    evaluate,
    impact_of_change,
    rules_from_data,
)
from tests.engines._keys_demo import HSM, demo_inventory


def _violations(findings):
    return [f for f in findings if not f.holds]


def test_the_demo_hot_wallet_breaks_one_rule_naming_the_two_tokyo_keys_of_one_department():
    findings = evaluate(demo_inventory())
    [violation] = _violations(findings)
    assert violation.code == "spread.multisig_apart"
    assert violation.subject == "btc-hot"
    assert violation.article == "ISM 29-1-5"
    assert violation.conflicts == (Conflict("hot-a", "hot-b", "unit", "custody-ops"),)
    assert "hot-a and hot-b share unit 'custody-ops'" in violation.message
    assert violation.expected == "different site and unit and holder"
    # every other rule is shown as holding, per wallet
    held = {(f.subject, f.code) for f in findings if f.holds}
    assert ("btc-hot", "spread.recovery_apart") in held
    assert ("btc-cold", "spread.site_apart") in held
    # multisig separation is not asked of an MPC wallet
    assert ("btc-cold", "spread.multisig_apart") not in {(f.subject, f.code) for f in findings}


def test_a_key_entered_beside_another_of_its_wallet_is_refused_with_each_reason():
    inventory = demo_inventory()
    hot_c = next(k for k in inventory.keys if k.id == "hot-c")
    moved = replace(hot_c, site="Tokyo HQ", holder="tanaka", unit="custody-ops")
    refused = {f.code: f for f in check_entry(inventory, moved)}
    assert set(refused) == {"spread.multisig_apart", "spread.recovery_apart"}
    assert set(refused["spread.multisig_apart"].conflicts) == {
        Conflict("hot-a", "hot-c", "holder", "tanaka"),
        Conflict("hot-a", "hot-c", "site", "Tokyo HQ"),
        Conflict("hot-a", "hot-c", "unit", "custody-ops"),
        Conflict("hot-b", "hot-c", "unit", "custody-ops"),
    }
    # the existing hot-a/hot-b conflict is not this entry's reason
    assert all("hot-c" in f.keys for f in refused.values())
    # the same key kept apart is accepted
    assert check_entry(inventory, replace(hot_c, site="Nagoya vault")) == []


def test_an_mpc_share_at_the_site_of_another_share_of_its_key_is_refused():
    inventory = demo_inventory()
    share = KeyMaterial(
        "cold-4",
        "btc-cold",
        Role.OPERATING,
        "abe",
        "Osaka DC",
        "treasury",
        HSM,
        share_of="cold-root",
    )
    [refused] = check_entry(inventory, share)
    assert refused.code == "spread.site_apart"
    assert refused.conflicts == (Conflict("cold-2", "cold-4", "site", "Osaka DC"),)
    unknown = replace(share, wallet="eth-hot")
    assert [f.code for f in check_entry(inventory, unknown)] == ["spread.unknown_wallet"]


def test_a_backup_kept_where_its_key_is_is_refused():
    inventory = demo_inventory()
    hot_b = next(k for k in inventory.keys if k.id == "hot-b")
    with_backup = replace(hot_b, backups=(Backup("hot-b-bk", "Tokyo DC", "suzuki"),))
    codes = {f.code: f for f in check_entry(inventory, with_backup)}
    assert codes["spread.backup_apart"].conflicts == (
        Conflict("hot-b", "hot-b-bk", "site", "Tokyo DC"),
    )


def test_a_person_moving_department_brings_a_finding_naming_their_keys():
    impact = impact_of_change(demo_inventory(), PersonMoves("yamada", "custody-ops"))
    [appeared] = impact.appeared
    assert appeared.code == "spread.multisig_apart" and appeared.subject == "btc-hot"
    assert set(appeared.conflicts) == {
        Conflict("hot-a", "hot-c", "unit", "custody-ops"),
        Conflict("hot-b", "hot-c", "unit", "custody-ops"),
    }
    assert impact.cleared == ()
    # moving suzuki out of custody-ops clears the demo's violation and brings nothing
    fixed = impact_of_change(demo_inventory(), PersonMoves("suzuki", "treasury"))
    assert fixed.appeared == ()
    assert [c for f in fixed.cleared for c in f.conflicts] == [
        Conflict("hot-a", "hot-b", "unit", "custody-ops")
    ]


def test_a_site_closing_and_a_holder_leaving_bring_their_findings():
    closed = impact_of_change(demo_inventory(), SiteCloses("Fukuoka vault", "Osaka DC"))
    assert {f.code: f.conflicts for f in closed.appeared} == {
        "spread.site_apart": (Conflict("cold-2", "cold-3", "site", "Osaka DC"),),
        "spread.recovery_apart": (Conflict("cold-2", "cold-3", "site", "Osaka DC"),),
    }
    left = impact_of_change(demo_inventory(), HolderLeaves("mori", "kato", "risk"))
    assert {f.code: f.conflicts for f in left.appeared} == {
        "spread.person_apart": (Conflict("cold-2", "cold-3", "holder", "kato"),),
        "spread.unit_apart": (Conflict("cold-2", "cold-3", "unit", "risk"),),
    }


def test_an_exchange_adds_its_own_rule_as_yaml():
    text = """
    - code: hot_one_organisation
      apart: [organisation]
      scope: wallet
      roles: [operating]
      article: internal standard 4.2
      text: hot-wallet keys held by different group companies
    """
    rules = [*DEFAULT_RULES, *rules_from_data(yaml.safe_load(text))]
    inventory = demo_inventory()
    inventory = Inventory(
        inventory.wallets, tuple(replace(k, organisation="mamori-kk") for k in inventory.keys)
    )
    found = {(f.subject, f.code): f for f in evaluate(inventory, rules)}
    custom = found[("btc-hot", "spread.hot_one_organisation")]
    assert not custom.holds and custom.article == "internal standard 4.2"
    assert custom.conflicts == (Conflict("hot-a", "hot-b", "organisation", "mamori-kk"),)
    assert "hot-wallet keys held by different group companies" in custom.message


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ({"code": "x", "apart": ["room"]}, "expected apart among site, unit, holder"),
        ({"code": "x", "apart": ["site"], "scope": "vault"}, "expected scope key or wallet"),
        ({"code": "x", "apart": ["site"], "roles": ["signer"]}, "expected roles among"),
        ({"code": "x", "apart": ["site"], "schemes": ["2fa"]}, "expected schemes among"),
        ({"apart": ["site"]}, "expected a code"),
        ({"code": "x", "apart": ["site"], "aprt": 1}, "unknown fields ['aprt']"),
    ],
)
def test_a_malformed_rule_is_refused_saying_what_was_expected(entry, said):
    with pytest.raises(RuleError, match=said.replace("[", r"\[").replace("]", r"\]")):
        rules_from_data([entry])


# --- evaluate() agrees with comparing every pair of placements -------------------------------

_SITES = ["Tokyo HQ", "Tokyo DC", "Osaka DC", ""]
_UNITS = ["custody-ops", "risk", "security", ""]
_PEOPLE = ["tanaka", "suzuki", "yamada", ""]


@st.composite
def _inventories(draw):
    wallets = tuple(
        Wallet(
            f"w{i}",
            "bitcoin",
            draw(
                st.sampled_from(
                    [
                        SigningScheme(Scheme.SINGLE),
                        SigningScheme(Scheme.MULTISIG, 2, 3),
                        SigningScheme(Scheme.MPC, 2, 3),
                    ]
                )
            ),
        )
        for i in range(draw(st.integers(1, 3)))
    )
    keys = []
    for i in range(draw(st.integers(0, 7))):
        backups = tuple(
            Backup(
                f"k{i}-b{j}",
                draw(st.sampled_from(_SITES)),
                draw(st.sampled_from(_PEOPLE)),
                unit=draw(st.sampled_from(_UNITS)),
            )
            for j in range(draw(st.integers(0, 2)))
        )
        keys.append(
            KeyMaterial(
                f"k{i}",
                draw(st.sampled_from(wallets)).id,
                draw(st.sampled_from(list(Role))),
                draw(st.sampled_from(_PEOPLE)),
                draw(st.sampled_from(_SITES)),
                draw(st.sampled_from(_UNITS)),
                HSM,
                organisation=draw(st.sampled_from(["a", "b"])),
                share_of=draw(st.sampled_from(["", "g1", "g2"])),
                backups=backups,
            )
        )
    return Inventory(wallets, tuple(keys))


_rules = st.builds(
    SpreadRule,
    code=st.sampled_from(["r1", "r2", "r3"]),
    apart=st.lists(
        st.sampled_from(["site", "unit", "holder", "organisation"]),
        min_size=1,
        max_size=3,
        unique=True,
    ).map(tuple),
    scope=st.sampled_from(["key", "wallet"]),
    roles=st.frozensets(st.sampled_from(list(Role)), min_size=1),
    against=st.frozensets(st.sampled_from(list(Role))),
    schemes=st.frozensets(st.sampled_from(list(Scheme))),
    copies=st.booleans(),
)


def _oracle(inventory, rules):
    """Compare every pair of placements of each wallet, rule by rule, attribute by attribute."""
    placed = []  # (id, wallet, role, site, unit, holder, organisation, original, group)
    for k in inventory.keys:
        group = k.share_of or k.id
        placed.append(
            (k.id, k.wallet, k.role, k.site, k.unit, k.holder, k.organisation, k.id, group)
        )
        for b in k.backups:
            placed.append(
                (b.id, k.wallet, Role.BACKUP, b.site, b.unit, b.holder, k.organisation, k.id, group)
            )
    index = {"site": 3, "unit": 4, "holder": 5, "organisation": 6}
    result = {}
    for wallet in inventory.wallets:
        mine = [p for p in placed if p[1] == wallet.id]
        for rule in rules:
            if rule.schemes and wallet.scheme.kind not in rule.schemes:
                continue
            other = rule.against or rule.roles
            found = set()
            for a, b in combinations(mine, 2):
                if rule.scope == "key" and a[8] != b[8]:
                    continue
                if (a[7] == b[7]) != rule.copies:
                    continue
                if not (
                    (a[2] in rule.roles and b[2] in other) or (b[2] in rule.roles and a[2] in other)
                ):
                    continue
                for attribute in rule.apart:
                    if a[index[attribute]] and a[index[attribute]] == b[index[attribute]]:
                        found.add((frozenset((a[0], b[0])), attribute))
            result[(wallet.id, f"spread.{rule.code}")] = found
    return result


@settings(max_examples=300, deadline=None)
@given(_inventories(), st.lists(_rules, max_size=3, unique_by=lambda r: r.code))
def test_evaluate_agrees_with_comparing_every_pair(inventory, extra):
    rules = [*DEFAULT_RULES, *extra]
    findings = evaluate(inventory, rules)
    got = {
        (f.subject, f.code): {(frozenset((c.first, c.second)), c.attribute) for c in f.conflicts}
        for f in findings
    }
    assert got == _oracle(inventory, rules)
    assert all(f.holds == (not f.conflicts) for f in findings)
