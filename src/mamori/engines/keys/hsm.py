"""A key generated inside a PKCS#11 token and used there (ISM 28-1-3, 28-3-1): an HSM in
production, SoftHSM2 in the demo and tests.

:func:`generate_and_sign` makes an EC key pair in the token — secp256k1, or P-256 when the
token refuses secp256k1 — with the private half sensitive and not extractable, signs a digest
with it and returns the public key and the signature: what a ceremony may record, while the
private half never leaves the token.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pkcs11
from pkcs11.util.ec import encode_named_curve_parameters

__all__ = ["CURVES", "HsmError", "HsmSignature", "generate_and_sign", "verifies"]

#: curve name → OID (SEC 2 secp256k1; NIST P-256 / prime256v1), in order of preference
CURVES = {"secp256k1": "1.3.132.0.10", "P-256": "1.2.840.10045.3.1.7"}


class HsmError(RuntimeError):
    """The token could not make or use a key; the message names the token and the step."""


@dataclass(frozen=True)
class HsmSignature:
    """A key made in a token and one signature by it: public data only."""

    token: str
    curve: str
    key_id: bytes
    label: str
    public_key: bytes  # uncompressed SEC 1 point, 0x04 || x || y
    digest: bytes
    signature: bytes  # r || s, 32 bytes each
    sensitive: bool
    extractable: bool


def _point(value: bytes) -> bytes:
    """Return the SEC 1 point of CKA_EC_POINT (DER OCTET STRING wrapped or raw)."""
    if len(value) == 67 and value[:2] == b"\x04\x41":
        return value[2:]
    return value


def _generate(session: pkcs11.Session, curve: str, label: str, key_id: bytes) -> tuple[Any, Any]:
    parameters = session.create_domain_parameters(
        pkcs11.KeyType.EC,
        {pkcs11.Attribute.EC_PARAMS: encode_named_curve_parameters(CURVES[curve])},
        local=True,
    )
    public, private = parameters.generate_keypair(
        store=True,
        label=label,
        id=key_id,
        mechanism=pkcs11.Mechanism.EC_KEY_PAIR_GEN,
        private_template={
            pkcs11.Attribute.SENSITIVE: True,
            pkcs11.Attribute.EXTRACTABLE: False,
            pkcs11.Attribute.SIGN: True,
        },
    )
    return public, private


def generate_and_sign(
    token: pkcs11.Token, pin: str, digest: bytes, label: str = "mamori-ceremony"
) -> HsmSignature:
    """Generate an EC key pair inside ``token`` and sign the 32-byte ``digest`` with it."""
    if len(digest) != 32:
        raise HsmError(f"expected a 32-byte digest, got {len(digest)} bytes")
    key_id = os.urandom(16)
    refused: list[str] = []
    with token.open(user_pin=pin, rw=True) as session:
        for curve in CURVES:
            try:
                public, private = _generate(session, curve, label, key_id)
            except pkcs11.PKCS11Error as exc:
                refused.append(f"{curve}: {type(exc).__name__}")
                continue
            try:
                signature = bytes(private.sign(digest, mechanism=pkcs11.Mechanism.ECDSA))
            except pkcs11.PKCS11Error as exc:
                raise HsmError(
                    f"token {token.label!r}: the {curve} key was made but cannot sign: "
                    f"{type(exc).__name__}"
                ) from None
            return HsmSignature(
                token=str(token.label),
                curve=curve,
                key_id=key_id,
                label=label,
                public_key=_point(bytes(public[pkcs11.Attribute.EC_POINT])),
                digest=digest,
                signature=signature,
                sensitive=bool(private[pkcs11.Attribute.SENSITIVE]),
                extractable=bool(private[pkcs11.Attribute.EXTRACTABLE]),
            )
    raise HsmError(f"token {token.label!r} made no EC key pair ({'; '.join(refused)})")


def verifies(made: HsmSignature, digest: bytes) -> bool:
    """Return whether ``made``'s signature is its public key's over ``digest`` (ECDSA,
    prehashed): what a ceremony checks of a key made in a token without touching it."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import (
        Prehashed,
        encode_dss_signature,
    )

    curve = ec.SECP256K1() if made.curve == "secp256k1" else ec.SECP256R1()
    try:
        public = ec.EllipticCurvePublicKey.from_encoded_point(curve, made.public_key)
    except ValueError:
        return False
    r, s = (int.from_bytes(made.signature[i : i + 32], "big") for i in (0, 32))
    try:
        public.verify(encode_dss_signature(r, s), digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    except InvalidSignature:
        return False
    return True
