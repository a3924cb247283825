"""Demo data of the key inventory: the BTC hot wallet 2-of-3 across Tokyo and Osaka with one
spread violation — its two operating keys held by people of one department (ISM 29-1-5) —
and a cold wallet whose MPC shares and recovery share are kept apart."""

from __future__ import annotations

from datetime import date

from mamori.accounts.models import User
from mamori.core.demo import DemoReport
from mamori.keys import services
from mamori.keys.models import Backup, GenerationRecord, KeyMaterial, Site, Wallet

CEREMONY = {
    "generated_by": "watanabe",
    "method": "BIP-39 24 words on an air-gapped Coldcard",
    "rng_spec": "Coldcard TRNG + dice (NIST SP 800-90B assessed)",
    "prior_verification": "BIP-39 vectors 24/24, BIP-84 vectors 3/3",
    "witnesses": "kato, takahashi",
    "at": date(2026, 4, 1),
}

SITES = [
    ("tokyo-hq", "Tokyo HQ"),
    ("tokyo-dc", "Tokyo DC"),
    ("osaka-dc", "Osaka DC"),
    ("fukuoka-vault", "Fukuoka vault"),
]

# label, wallet, role, holder, site, storage kind, model, encryption, share of
KEYS = [
    ("hot-a", "btc-hot", "operating", "watanabe", "tokyo-hq", "hsm", "Thales Luna 7", "hsm", ""),
    (
        "hot-b",
        "btc-hot",
        "operating",
        "yamamoto",
        "tokyo-dc",
        "hardware_wallet",
        "Ledger Nano X",
        "AES-256-GCM",
        "",
    ),
    ("hot-c", "btc-hot", "recovery", "ito", "osaka-dc", "steel", "Cryptosteel Capsule", "", ""),
    (
        "cold-1",
        "btc-cold",
        "operating",
        "watanabe",
        "tokyo-hq",
        "hsm",
        "Thales Luna 7",
        "hsm",
        "cold-root",
    ),
    (
        "cold-2",
        "btc-cold",
        "operating",
        "tanaka",
        "osaka-dc",
        "hsm",
        "Thales Luna 7",
        "hsm",
        "cold-root",
    ),
    (
        "cold-3",
        "btc-cold",
        "recovery",
        "kato",
        "fukuoka-vault",
        "steel",
        "Cryptosteel Capsule",
        "",
        "cold-root",
    ),
]


def load(report: DemoReport) -> None:
    """Seed the sites, the two BTC wallets, their keys and a backup; evaluate (idempotent)."""
    services.seed_rules()
    if Wallet.objects.exists():
        return
    people = {u.username: u for u in User.objects.all()}
    if "watanabe" not in people:
        return
    sites = {code: Site.objects.create(code=code, name=name) for code, name in SITES}
    wallets = {
        "btc-hot": Wallet.objects.create(
            name="btc-hot",
            chain="bitcoin",
            asset="BTC",
            scheme="multisig",
            m=2,
            n=3,
            hot=True,
            derivation_path="m/48h/0h/0h/2h",
            addresses=["bc1qlakc8jv8ljcxj7yzgheg3l97crqnftrnlakc8j"],
            responsible=people["watanabe"],
        ),
        "btc-cold": Wallet.objects.create(
            name="btc-cold",
            chain="bitcoin",
            asset="BTC",
            scheme="mpc",
            m=2,
            n=3,
            derivation_path="m/84h/0h/0h",
            addresses=["bc1qzj7v7j0uha62pdtukvtkd9tmtx4vnejtzj7v7j"],
            responsible=people["watanabe"],
        ),
    }
    for label, wallet, role, holder, site, kind, model, encryption, share_of in KEYS:
        key = KeyMaterial.objects.create(
            wallet=wallets[wallet],
            label=label,
            role=role,
            holder=people[holder],
            site=sites[site],
            storage_kind=kind,
            storage_model=model,
            encryption=encryption,
            share_of=share_of,
        )
        GenerationRecord.objects.create(key=key, **CEREMONY)
    Backup.objects.create(
        key=KeyMaterial.objects.get(label="hot-a"),
        label="hot-a-bk",
        site=sites["osaka-dc"],
        holder=people["tanaka"],
        encryption="AES-256-GCM",
        access_rights="tanaka, takahashi",
        access_detection="vault-door webhook",
    )
    summary = services.evaluate("demo")
    report.lines.append(
        "Keys: BTC hot wallet 2-of-3 across Tokyo and Osaka; "
        f"{len(summary['violated'])} spread violation (hot-a and hot-b both held by custody) "
        "— see /keys/"
    )
