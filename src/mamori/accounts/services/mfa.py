"""TOTP enrolment and verification with replay protection, and recovery codes (ISM 23-1-1)."""

from __future__ import annotations

import secrets
import time
from datetime import datetime

import pyotp
import segno
from django.db import transaction
from django.utils import timezone

from mamori.accounts.models import RecoveryCode, TotpDevice, User
from mamori.core import crypto

__all__ = [
    "ISSUER",
    "RECOVERY_CODE_COUNT",
    "confirm_enrolment",
    "consume_recovery_code",
    "new_recovery_codes",
    "provisioning_uri",
    "qr_svg",
    "start_enrolment",
    "verify_totp",
]

ISSUER = "mamori"
RECOVERY_CODE_COUNT = 10
STEP_SECONDS = 30
VALID_WINDOW = 1  # one step either side, for clock drift


def _secret(device: TotpDevice) -> str:
    return crypto.decrypt(device.secret_encrypted)


def start_enrolment(user: User, secret: str | None = None) -> TotpDevice:
    """Create (or restart) an unconfirmed device for ``user`` with a fresh seed."""
    if user.has_confirmed_totp:
        raise ValueError("the user already has a confirmed authenticator")
    seed = secret or pyotp.random_base32(length=32)
    device, _ = TotpDevice.objects.update_or_create(
        user=user,
        defaults={
            "secret_encrypted": crypto.encrypt(seed),
            "confirmed_at": None,
            "last_used_step": -1,
        },
    )
    return device


def provisioning_uri(device: TotpDevice) -> str:
    """Return the ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(_secret(device)).provisioning_uri(
        name=device.user.username, issuer_name=ISSUER
    )


def enrolment_secret(device: TotpDevice) -> str:
    """Return the seed, for typing into an authenticator by hand during enrolment only."""
    if device.confirmed_at is not None:
        raise ValueError("the seed of a confirmed device is never shown again")
    return _secret(device)


def qr_svg(uri: str) -> str:
    """Return an inline SVG QR code of ``uri``."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, dark="#111", light="#fff"))


def _matching_step(secret: str, code: str, now: float) -> int | None:
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):  # "١٢٣" is digits too
        return None
    totp = pyotp.TOTP(secret)
    current = int(now) // STEP_SECONDS
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def verify_totp(user: User, code: str, now: datetime | None = None) -> bool:
    """Accept ``code`` once: a code of a step already used (or earlier) is refused."""
    moment = now.timestamp() if now else time.time()
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is None or device.confirmed_at is None:
            return False
        step = _matching_step(_secret(device), code, moment)
        if step is None or step <= device.last_used_step:
            return False
        device.last_used_step = step
        device.save(update_fields=["last_used_step"])
        return True


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Confirm the device with a first valid code; return new recovery codes, or None."""
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(user=user).first()
        if device is None or device.confirmed_at is not None:
            return None
        step = _matching_step(_secret(device), code, time.time())
        if step is None:
            return None
        device.confirmed_at = timezone.now()
        device.last_used_step = step
        device.save(update_fields=["confirmed_at", "last_used_step"])
        return new_recovery_codes(user)


def _format(raw: str) -> str:
    return f"{raw[:5]}-{raw[5:]}"


def _digest(code: str) -> str:
    return crypto.keyed_digest(code.strip().lower().replace("-", ""), "recovery-code")


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes; the returned codes are shown once, never stored."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = [
        "".join(secrets.choice(alphabet) for _ in range(10)) for _ in range(RECOVERY_CODE_COUNT)
    ]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, digest=_digest(code)) for code in codes
        )
    return [_format(code) for code in codes]


def consume_recovery_code(user: User, code: str) -> bool:
    """Accept an unused recovery code once."""
    with transaction.atomic():
        row = (
            RecoveryCode.objects.select_for_update()
            .filter(user=user, digest=_digest(code), used_at__isnull=True)
            .first()
        )
        if row is None:
            return False
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
        return True
