"""A key generated inside a PKCS#11 token whose private half never leaves it (ISM 28-1-3,
28-3-1): SoftHSM2 for real, skipped only when it is absent and MAMORI_REQUIRE_SERVICES is not
set (the ``softhsm_token`` fixture of mamori.testing.pytest_plugin)."""

from __future__ import annotations

import hashlib

import pkcs11
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature

from mamori.engines.keys import evm_address, find_secrets
from mamori.engines.keys.hsm import HsmError, generate_and_sign


def _token(softhsm_token):
    lib = pkcs11.lib(softhsm_token["module"])
    lib.reinitialize()  # this test's own SOFTHSM2_CONF, whatever another test opened before
    return lib.get_token(token_label=softhsm_token["token"])


def _verifies(result, digest: bytes) -> bool:
    curve = ec.SECP256K1() if result.curve == "secp256k1" else ec.SECP256R1()
    public = ec.EllipticCurvePublicKey.from_encoded_point(curve, result.public_key)
    r, s = (int.from_bytes(result.signature[i : i + 32], "big") for i in (0, 32))
    try:
        public.verify(encode_dss_signature(r, s), digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    except InvalidSignature:
        return False
    return True


def test_a_key_made_in_softhsm_signs_and_the_signature_verifies_with_its_public_key(
    softhsm_token,
):
    token = _token(softhsm_token)
    digest = hashlib.sha256(b"withdrawal 42: 0.5 BTC to bc1q...").digest()
    result = generate_and_sign(token, softhsm_token["pin"], digest)
    assert result.curve == "secp256k1"  # SoftHSM2 makes secp256k1 keys
    assert result.public_key[0] == 4 and len(result.public_key) == 65
    assert _verifies(result, digest)
    assert not _verifies(result, hashlib.sha256(b"withdrawal 42: 5 BTC").digest())
    # the private half stays in the token: sensitive, not extractable, its value unreadable
    assert result.sensitive and not result.extractable
    with token.open(user_pin=softhsm_token["pin"]) as session:
        private = session.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, id=result.key_id)
        with pytest.raises(pkcs11.PKCS11Error):
            private[pkcs11.Attribute.VALUE]
    # what a ceremony records of it is public data only, and gives an EVM address
    assert (
        find_secrets({"public_key": result.public_key.hex(), "signature": result.signature}) == []
    )
    assert evm_address(result.public_key).startswith("0x")


def test_a_digest_of_the_wrong_size_is_refused_before_the_token_is_touched(softhsm_token):
    with pytest.raises(HsmError, match="expected a 32-byte digest, got 20 bytes"):
        generate_and_sign(_token(softhsm_token), softhsm_token["pin"], b"\x00" * 20)


class _RefusingSecp256k1:
    """A token (around the real SoftHSM2 one) whose sessions refuse to make secp256k1 keys,
    as some HSMs do."""

    def __init__(self, token):
        self._token = token
        self.label = token.label

    def open(self, **kwargs):
        from contextlib import contextmanager

        from pkcs11.util.ec import encode_named_curve_parameters

        secp256k1 = encode_named_curve_parameters("1.3.132.0.10")

        class Session:
            def __init__(self, inner):
                self._inner = inner

            def create_domain_parameters(self, key_type, attributes, **more):
                if attributes.get(pkcs11.Attribute.EC_PARAMS) == secp256k1:
                    raise pkcs11.exceptions.DomainParamsInvalid()
                return self._inner.create_domain_parameters(key_type, attributes, **more)

        @contextmanager
        def opened():
            with self._token.open(**kwargs) as session:
                yield Session(session)

        return opened()


def test_a_token_that_refuses_secp256k1_makes_a_p256_key_instead(softhsm_token):
    token = _RefusingSecp256k1(_token(softhsm_token))
    digest = hashlib.sha256(b"ceremony 7").digest()
    result = generate_and_sign(token, softhsm_token["pin"], digest)
    assert result.curve == "P-256"
    assert _verifies(result, digest)
