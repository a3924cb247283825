"""A small key inventory for the tests: the BTC hot wallet 2-of-3 across Tokyo and Osaka."""

from __future__ import annotations

from dataclasses import dataclass

from mamori.accounts.models import Department, User
from mamori.keys import services
from mamori.keys.models import GenerationRecord, KeyMaterial, Site, Wallet
from tests.conftest import give, make_user


@dataclass
class Inventory:
    """The people, sites and wallet of the test inventory."""

    ciso: User
    holders: dict[str, User]
    departments: dict[str, Department]
    sites: dict[str, Site]
    wallet: Wallet


def department(code: str) -> Department:
    found, _created = Department.objects.get_or_create(
        code=code, defaults={"name_ja": code, "name_en": code}
    )
    return found


def person(username: str, unit: str) -> User:
    user = make_user(username, enrolled=False)
    user.department = department(unit)
    user.save(update_fields=["department"])
    return user


def key(inv: Inventory, label: str, role: str, holder: str, site: str) -> KeyMaterial:
    """Create a key directly (as an import would), bypassing the entry check."""
    made = KeyMaterial.objects.create(
        wallet=inv.wallet,
        label=label,
        role=role,
        holder=inv.holders[holder],
        site=inv.sites[site],
        storage_kind="hsm",
        storage_model="Thales Luna 7",
        encryption="hsm",
    )
    GenerationRecord.objects.create(
        key=made,
        generated_by="watanabe",
        method="BIP-39 on an air-gapped Coldcard",
        rng_spec="Coldcard TRNG",
        prior_verification="BIP-39 vectors",
        witnesses="kato, takahashi",
    )
    return made


def hot_wallet() -> Inventory:
    """A 2-of-3 BTC hot wallet with two keys kept apart: hot-a (Tokyo HQ, custody) and the
    recovery key hot-c (Osaka DC, security); nothing violated yet."""
    services.seed_rules()
    ciso = give(make_user("ciso-keys"), "ciso")
    holders = {
        "watanabe": person("watanabe", "custody"),
        "yamamoto": person("yamamoto", "custody"),
        "ito": person("ito", "security"),
        "tanaka": person("tanaka", "systems"),
    }
    sites = {
        code: Site.objects.create(code=code, name=name)
        for code, name in (
            ("tokyo-hq", "Tokyo HQ"),
            ("tokyo-dc", "Tokyo DC"),
            ("osaka-dc", "Osaka DC"),
        )
    }
    wallet = Wallet.objects.create(
        name="btc-hot",
        chain="bitcoin",
        asset="BTC",
        scheme="multisig",
        m=2,
        n=3,
        hot=True,
        responsible=holders["watanabe"],
    )
    inv = Inventory(ciso, holders, {d.code: d for d in Department.objects.all()}, sites, wallet)
    key(inv, "hot-a", "operating", "watanabe", "tokyo-hq")
    key(inv, "hot-c", "recovery", "ito", "osaka-dc")
    return inv
