"""Demo data of the key inventory: the BTC hot wallet 2-of-3 across Tokyo and Osaka with one
spread violation — its two operating keys held by people of one department (ISM 29-1-5) —
and a cold wallet whose MPC shares and recovery share are kept apart."""

from __future__ import annotations

from datetime import date

from mamori.accounts.models import User
from mamori.core.demo import DemoReport
from mamori.keys import services
from mamori.keys.models import (
    Backup,
    EntitlementChange,
    GenerationRecord,
    KeyMaterial,
    Site,
    Wallet,
)

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


# Key-holder systems (ISM 31): an HSM administration and an AWS KMS signing key. yamamoto's
# role on the HSM was removed (approved, carried out, checked) but the HSM still lists him.
HSM_ACCOUNTS = (
    "account,person,role\nso-watanabe,watanabe,crypto-officer\ncu-yamamoto,yamamoto,crypto-user\n"
)
KMS_POLICY = """{
  "Version": "2012-10-17",
  "Id": "key-policy-btc-hot-signing",
  "Statement": [
    {
      "Sid": "KeyAdministrators",
      "Effect": "Allow",
      "Principal": {"AWS": ["arn:aws:iam::111122223333:user/watanabe"]},
      "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:Put*", "kms:Revoke*"],
      "Resource": "*"
    },
    {
      "Sid": "KeyUsers",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:sts::111122223333:assumed-role/SignerRole/yamamoto"},
      "Action": ["kms:Sign", "kms:GetPublicKey"],
      "Resource": "*"
    }
  ]
}
"""


def _carried(change: EntitlementChange, people: dict[str, User]) -> None:
    """Approve (takahashi), carry out (tanaka) and check (ito) a change: three people."""
    from mamori.accounts.services import approvals
    from mamori.keys import entitlements

    approvals.decide(
        change.approval_id,  # type: ignore[arg-type]
        people["takahashi"],
        "approve",
        "鍵保有者の職務に必要 / needed for the key holder's duties",
    )
    change.refresh_from_db()
    entitlements.record_done(
        change, people["tanaka"], "システムのコンソールで設定 / set in the system's console"
    )
    entitlements.record_check(
        change,
        people["ito"],
        True,
        "account list exported and compared / 一覧を出力して照合",
    )


def load_entitlements(report: DemoReport) -> None:
    """Register two key-holder systems, grant roles through the whole procedure, remove one,
    and import the HSM's accounts: yamamoto still present after removal (idempotent)."""
    from mamori.keys import entitlements
    from mamori.keys.models import KeySystem

    people = {u.username: u for u in User.objects.all()}
    wanted = ("takahashi", "tanaka", "ito", "watanabe", "yamamoto")
    if KeySystem.objects.exists() or any(name not in people for name in wanted):
        return
    hsm = KeySystem.objects.create(
        name="hsm-admin-tokyo",
        kind=KeySystem.Kind.HSM_ADMIN,
        roles=["crypto-officer", "crypto-user"],
        owner=people["tanaka"],
        description="Thales Luna 7 partition administration (Tokyo HQ)",
    )
    kms = KeySystem.objects.create(
        name="aws-kms-signing",
        kind=KeySystem.Kind.CLOUD_KMS,
        roles=["KeyAdministrators", "KeyUsers"],
        owner=people["takahashi"],
        description="AWS KMS key of the BTC hot wallet's co-signer",
    )
    hsm.wallets.set(Wallet.objects.filter(name__in=["btc-hot", "btc-cold"]))
    kms.wallets.set(Wallet.objects.filter(name="btc-hot"))
    asker = people["watanabe"]
    for system, person, role in [
        (hsm, "watanabe", "crypto-officer"),
        (hsm, "yamamoto", "crypto-user"),
        (kms, "watanabe", "KeyAdministrators"),
        (kms, "yamamoto", "KeyUsers"),
    ]:
        change = entitlements.request_change(
            system,
            people[person],
            "grant",
            role,
            "鍵保有者として任命 / appointed key holder",
            asker,
        )
        _carried(change, people)
    removal = entitlements.request_change(
        hsm,
        people["yamamoto"],
        "removal",
        "crypto-user",
        "HSM作業から外れる / no longer works on the HSM",
        asker,
    )
    _carried(removal, people)
    entitlements.import_accounts(
        hsm, "csv", HSM_ACCOUNTS.encode(), "luna-partition-users.csv", people["watanabe"]
    )
    entitlements.import_accounts(
        kms, "aws-kms-key-policy", KMS_POLICY.encode(), "key-policy.json", people["watanabe"]
    )
    report.lines.append(
        "Key-holder systems: hsm-admin-tokyo still lists yamamoto after his removal "
        "(entitlement.not_removed) — see /keys/systems/"
    )
