"""The demo inventory: a BTC hot wallet 2-of-3 across Tokyo and Osaka (ISM 28-2-6/7, 29-1-5),
with one spread violation — two of its keys held by one department — and a cold wallet whose
MPC shares and recovery key are kept apart."""

from __future__ import annotations

from mamori.engines.keys import (
    Backup,
    GenerationRecord,
    Inventory,
    KeyMaterial,
    Role,
    Scheme,
    SigningScheme,
    Storage,
    StorageKind,
    Wallet,
)

HSM = Storage(StorageKind.HSM, "Thales Luna 7", "hsm")
LEDGER = Storage(StorageKind.HARDWARE_WALLET, "Ledger Nano X", "AES-256-GCM")
STEEL = Storage(StorageKind.STEEL, "Cryptosteel Capsule")
CEREMONY = GenerationRecord(
    generated_by="sato",
    method="BIP-39 24 words on an air-gapped Coldcard",
    rng_spec="Coldcard TRNG + dice (NIST SP 800-90B assessed)",
    prior_verification="BIP-39 vectors 24/24, BIP-84 vectors 3/3",
    witnesses=("internal-audit:mori", "ciso:hara"),
)

HOT = Wallet(
    "btc-hot",
    "bitcoin",
    SigningScheme(Scheme.MULTISIG, 2, 3),
    derivation_path="m/48h/0h/0h/2h",
    hot=True,
)
COLD = Wallet("btc-cold", "bitcoin", SigningScheme(Scheme.MPC, 2, 3), derivation_path="m/84h/0h/0h")


def demo_inventory() -> Inventory:
    """Return the demo inventory: one violation, hot-a and hot-b both held by custody-ops."""
    return Inventory(
        wallets=(HOT, COLD),
        keys=(
            KeyMaterial(
                "hot-a",
                "btc-hot",
                Role.OPERATING,
                "tanaka",
                "Tokyo HQ",
                "custody-ops",
                HSM,
                generation=CEREMONY,
                backups=(
                    Backup(
                        "hot-a-bk",
                        "Osaka DC",
                        "kimura",
                        "AES-256-GCM",
                        ("kimura", "ciso:hara"),
                        "vault-door webhook",
                        "risk",
                    ),
                ),
            ),
            KeyMaterial(
                "hot-b",
                "btc-hot",
                Role.OPERATING,
                "suzuki",
                "Tokyo DC",
                "custody-ops",
                LEDGER,
                generation=CEREMONY,
            ),
            KeyMaterial(
                "hot-c",
                "btc-hot",
                Role.RECOVERY,
                "yamada",
                "Osaka DC",
                "security",
                STEEL,
                generation=CEREMONY,
            ),
            KeyMaterial(
                "cold-1",
                "btc-cold",
                Role.OPERATING,
                "ito",
                "Tokyo HQ",
                "custody-ops",
                HSM,
                share_of="cold-root",
            ),
            KeyMaterial(
                "cold-2",
                "btc-cold",
                Role.OPERATING,
                "kato",
                "Osaka DC",
                "risk",
                HSM,
                share_of="cold-root",
            ),
            KeyMaterial(
                "cold-3",
                "btc-cold",
                Role.RECOVERY,
                "mori",
                "Fukuoka vault",
                "audit",
                STEEL,
                share_of="cold-root",
            ),
        ),
    )
