"""The demo's pre-sign walk (ISM 29-1-4): the ETH hot wallet is a 2-of-3 Safe; a withdrawal
the custody check allowed is paid by a Safe transaction that mamori answers *sign*; the same
Safe is then sent a Bybit-like transaction — one transfer shown, a ``delegatecall`` rewriting
the Safe's singleton to be signed — and one whose amount is one wei more: both refused.

The walk runs through the real path: the custody monitor decides the withdrawal, the intent is
read from its journal, and :func:`mamori.keys.presign.answer` answers and records. The request
bodies are written to ``<data dir>/presign/`` so that a user can send them again with curl.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from mamori.accounts.models import User
from mamori.core.demo import DemoReport
from mamori.custody.models import Asset
from mamori.custody.models import Wallet as CustodyWallet
from mamori.engines import presign as engine
from mamori.engines import threshold
from mamori.engines.keys import hsm
from mamori.keys import presign, services
from mamori.keys.demo import CEREMONY
from mamori.keys.models import (
    GenerationRecord,
    KeyMaterial,
    PresignAnswer,
    SigningPolicy,
    Site,
    Wallet,
)

ETH = 10**18
ZERO = "0x" + "00" * 20
#: The customer's allowlisted destination and the contract of the Bybit-like attack (the
#: address that took Bybit's cold wallet, February 2025).
DESTINATION = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
ATTACKER_CONTRACT = "0x96221423681A6d52E184D440a8eFCEbB105C7242"
ATTACKER = "0x47666Fab8bd0Ac7003bce3f5C3585383F09486E2"
CALLER = "token:demo-cosigner"

# label, role, holder, site, storage
KEYS = [
    ("eth-a", "operating", "watanabe", "tokyo-hq", "hsm"),
    ("eth-b", "operating", "ito", "osaka-dc", "hsm"),
    ("eth-c", "recovery", "kato", "fukuoka-vault", "steel"),
]


def _hsm_key(key: KeyMaterial) -> str:
    """Make ``key`` in the demo's SoftHSM2 token (ISM 28-1-3): an EC key pair generated
    inside the token, not extractable, signs the ceremony's statement; its public key and the
    signature, verified here, are what the inventory records. Return what was done."""
    config = settings.CONFIG
    if not config.pkcs11_module:
        return "no PKCS#11 token configured: eth-a not made in an HSM"
    try:
        import pkcs11

        from mamori.core.signing._configured import configured_pin

        token = pkcs11.lib(config.pkcs11_module).get_token(token_label=config.pkcs11_token)
        statement = f"ceremony {key.wallet.name}/{key.label}: generated in {config.pkcs11_token}"
        digest = hashlib.sha256(statement.encode()).digest()
        made = hsm.generate_and_sign(
            token, configured_pin(config), digest, label=f"demo-{key.label}"
        )
    except Exception as error:  # the demo goes on without it, saying why
        return f"eth-a not made in the token: {type(error).__name__}: {error}"
    if not hsm.verifies(made, digest):
        return "eth-a made in the token, but its signature does not verify"
    key.public_key = made.public_key.hex()
    key.curve = made.curve
    key.storage_model = f"SoftHSM2 token {made.token}"
    key.save(update_fields=["public_key", "curve", "storage_model"])
    return (
        f"eth-a generated in SoftHSM2 token {made.token!r} ({made.curve}, not extractable), "
        f"its signature verified with its public key"
    )


def _transfer(attacker: str) -> bytes:
    """``transfer(attacker, 0)``: what the Bybit signers' screens decoded the call as."""
    word = bytes(12) + bytes.fromhex(attacker[2:])
    return bytes.fromhex("a9059cbb") + word + bytes(32)


def _wallet(hot_address: str) -> Wallet:
    people = {u.username: u for u in User.objects.filter(username__in=[k[2] for k in KEYS])}
    wallet = Wallet.objects.create(
        name="eth-safe",
        chain="ethereum",
        asset="ETH",
        scheme="multisig",
        m=2,
        n=3,
        hot=True,
        addresses=[hot_address],
        responsible=people.get("watanabe"),
    )
    sites = {s.code: s for s in Site.objects.all()}
    for label, role, holder, site, storage in KEYS:
        if holder in people and site in sites:
            key = KeyMaterial.objects.create(
                wallet=wallet,
                label=label,
                role=role,
                holder=people[holder],
                site=sites[site],
                storage_kind=storage,
                storage_model="Thales Luna 7" if storage == "hsm" else "Cryptosteel Capsule",
                encryption="hsm" if storage == "hsm" else "",
            )
            GenerationRecord.objects.create(key=key, **CEREMONY)
    SigningPolicy.objects.create(
        wallet=wallet,
        chain_id=1,
        safe_address=hot_address,
        safe_version="1.3.0",
        max_fee=10**16,
        max_fee_rate=200 * 10**9,
    )
    return wallet


def _safe(
    hot_address: str, to: str, value: int, data: bytes = b"", operation: int = 0
) -> dict[str, object]:
    tx = engine.SafeTransaction(to, value, data, operation, 0, 0, 0, ZERO, ZERO, 7, bytes(32))
    shown = engine.safe_tx_hash(engine.SafePolicy(hot_address, 1), tx)
    return presign.safe_fields(replace(tx, shown_hash=shown))


def _written(bodies: dict[str, dict[str, object]]) -> Path | None:
    folder = Path(settings.CONFIG.data_dir) / "presign"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, body in bodies.items():
            (folder / f"{name}.json").write_text(json.dumps(body, indent=2) + "\n")
    except OSError:
        return None
    return folder


def load(report: DemoReport) -> None:
    """Run the walk once (idempotent: nothing happens when the wallet exists)."""
    hot = CustodyWallet.objects.filter(name="ETH-hot").first()
    if hot is None or Wallet.objects.filter(name="eth-safe").exists():
        return
    if not Asset.objects.filter(code="ETH").exists():
        return
    from mamori.custody.services import monitor

    wallet = _wallet(hot.address)
    made = _hsm_key(wallet.keys.get(label="eth-a"))
    services.evaluate("demo")
    amount = 25 * ETH // 10
    at = timezone.now() - timedelta(minutes=5)
    decision = monitor.decide(
        threshold.WithdrawalRequest("demo-eth-safe-1", at, "cust-007", "ETH", amount, DESTINATION)
    )
    bodies: dict[str, dict[str, object]] = {
        "withdrawal": {"wallet": "eth-safe", "safe": _safe(hot.address, DESTINATION, amount)},
        "bybit-like": {
            "wallet": "eth-safe",
            "safe": _safe(hot.address, ATTACKER_CONTRACT, 0, _transfer(ATTACKER), 1),
        },
        "one-wei-more": {
            "wallet": "eth-safe",
            "safe": _safe(hot.address, DESTINATION, amount + 1),
        },
    }
    for name in ("bybit-like", "one-wei-more", "withdrawal"):
        presign.answer(presign.read(bodies[name]), CALLER, "demo")
    folder = _written(bodies)
    signed = PresignAnswer.objects.filter(decision="sign").count()
    report.lines.append(
        f"Pre-sign: withdrawal demo-eth-safe-1 ({decision.action}) signed through the ETH Safe "
        f"({signed} sign); a Bybit-like delegatecall and one wei more refused — see "
        "/keys/presign/" + (f"; request bodies in {folder}" if folder else "") + f"; {made}"
    )
