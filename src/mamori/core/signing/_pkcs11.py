"""Keys in a PKCS#11 token (an HSM in production, SoftHSM2 in tests and the demo): Ed25519
with CKM_EDDSA, generated inside the token as sensitive and not extractable. A key pair is
labelled ``mamori-<purpose>`` and found by its public key; signing opens a session, signs
and closes it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.utils.translation import gettext as _

from mamori.core.signing._base import KeyMissing, KeyStore, StoreRefused
from mamori.engines.merkle import RawSigner

__all__ = ["ED25519_OID", "Pkcs11Store"]

#: id-Ed25519 (RFC 8410), the curve named in CKA_EC_PARAMS
ED25519_OID = "1.3.101.112"
_LOCK = threading.Lock()
#: module path → (process id, SOFTHSM2_CONF) it was initialised under
_INITIALISED: dict[str, tuple[int, str]] = {}


def _raw_point(point: bytes) -> bytes:
    """Return the 32-byte public key of CKA_EC_POINT (a DER OCTET STRING, or raw)."""
    if len(point) == 34 and point[0] == 0x04 and point[1] == 32:
        return point[2:]
    return point


class _TokenSigner:
    """Signs with the private key labelled for ``purpose`` whose CKA_ID is ``key_id``."""

    def __init__(self, store: Pkcs11Store, purpose: str, key_id: bytes, public_key: bytes):
        self.store = store
        self.purpose = purpose
        self.key_id = key_id
        self.public_key = public_key

    def sign(self, data: bytes) -> bytes:
        import pkcs11

        with self.store.session() as session:
            private = self.store.private_key(session, self.purpose, self.key_id, self.public_key)
            return bytes(private.sign(data, mechanism=pkcs11.Mechanism.EDDSA))


class Pkcs11Store(KeyStore):
    """Keys in the token labelled ``token`` of the PKCS#11 ``module``, opened with ``pin``."""

    kind = "pkcs11"

    def __init__(self, module: str, token: str, pin: str) -> None:
        self.module = module
        self.token = token
        self.pin = pin

    def location(self) -> str:
        """Return the token and module."""
        return f"PKCS#11 token {self.token!r} ({self.module})"

    def _lib(self) -> Any:
        import pkcs11

        try:
            lib = pkcs11.lib(self.module)
        except Exception as exc:  # the module cannot be loaded (a path, an architecture)
            raise StoreRefused(
                "pkcs11_module",
                _("The PKCS#11 module %(module)s cannot be loaded: %(error)s")
                % {"module": self.module, "error": exc},
            ) from None
        state = (os.getpid(), os.environ.get("SOFTHSM2_CONF", ""))
        with _LOCK:
            if _INITIALISED.setdefault(self.module, state) != state:
                lib.reinitialize()  # a forked child, or another token configuration
                _INITIALISED[self.module] = state
        return lib

    @contextmanager
    def session(self, rw: bool = False) -> Iterator[Any]:
        """Open a logged-in session on the token; refuse naming the token if it cannot."""
        import pkcs11

        try:
            token = self._lib().get_token(token_label=self.token)
        except (pkcs11.NoSuchToken, pkcs11.MultipleTokensReturned):
            raise KeyMissing(
                "pkcs11_token_missing",
                _("No PKCS#11 token labelled %(token)s in %(module)s (MAMORI_PKCS11_TOKEN).")
                % {"token": self.token, "module": self.module},
            ) from None
        try:
            opened = token.open(user_pin=self.pin, rw=rw)
        except pkcs11.PKCS11Error as exc:
            raise StoreRefused(
                "pkcs11_login",
                _("Cannot sign in to the PKCS#11 token %(token)s: %(error)s (MAMORI_PKCS11_PIN).")
                % {"token": self.token, "error": type(exc).__name__},
            ) from None
        with opened as session:
            yield session

    def private_key(self, session: Any, purpose: str, key_id: bytes, public_key: bytes) -> Any:
        """Return the private key object of ``public_key``; raise :class:`KeyMissing`."""
        import pkcs11

        try:
            return session.get_key(
                object_class=pkcs11.ObjectClass.PRIVATE_KEY,
                key_type=pkcs11.KeyType.EC_EDWARDS,
                label=f"mamori-{purpose}",
                id=key_id,
            )
        except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned):
            raise KeyMissing(
                "key_missing",
                _(
                    "The %(purpose)s signing key %(key)s is not in %(location)s. Nothing is "
                    "signed until it is back; no new key is made."
                )
                % {"purpose": purpose, "key": public_key.hex()[:16], "location": self.location()},
            ) from None

    def _find(self, session: Any, purpose: str, public_key: bytes) -> bytes:
        import pkcs11

        for key in session.get_objects(
            {
                pkcs11.Attribute.CLASS: pkcs11.ObjectClass.PUBLIC_KEY,
                pkcs11.Attribute.LABEL: f"mamori-{purpose}",
            }
        ):
            if _raw_point(bytes(key[pkcs11.Attribute.EC_POINT])) == public_key:
                return bytes(key[pkcs11.Attribute.ID])
        raise KeyMissing(
            "key_missing",
            _(
                "The %(purpose)s signing key %(key)s is not in %(location)s. Nothing is "
                "signed until it is back; no new key is made."
            )
            % {"purpose": purpose, "key": public_key.hex()[:16], "location": self.location()},
        )

    def create(self, purpose: str) -> bytes:
        """Generate an Ed25519 pair in the token (private half sensitive, not extractable)."""
        import pkcs11
        from pkcs11.util.ec import encode_named_curve_parameters

        key_id = os.urandom(16)
        label = f"mamori-{purpose}"
        with self.session(rw=True) as session:
            try:
                parameters = session.create_domain_parameters(
                    pkcs11.KeyType.EC_EDWARDS,
                    {pkcs11.Attribute.EC_PARAMS: encode_named_curve_parameters(ED25519_OID)},
                    local=True,
                )
                public, _private = parameters.generate_keypair(
                    store=True,
                    label=label,
                    id=key_id,
                    mechanism=pkcs11.Mechanism.EC_EDWARDS_KEY_PAIR_GEN,
                    private_template={
                        pkcs11.Attribute.SENSITIVE: True,
                        pkcs11.Attribute.EXTRACTABLE: False,
                    },
                )
            except pkcs11.PKCS11Error as exc:
                raise StoreRefused(
                    "pkcs11_no_ed25519",
                    _("The PKCS#11 token %(token)s cannot make an Ed25519 key: %(error)s")
                    % {"token": self.token, "error": type(exc).__name__},
                ) from None
            return _raw_point(bytes(public[pkcs11.Attribute.EC_POINT]))

    def signer(self, purpose: str, public_key: bytes) -> RawSigner:
        """Return a signer for ``public_key`` after finding its pair in the token."""
        with self.session() as session:
            key_id = self._find(session, purpose, public_key)
            self.private_key(session, purpose, key_id, public_key)
        return _TokenSigner(self, purpose, key_id, public_key)
