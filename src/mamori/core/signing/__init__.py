"""Signing keys away from the data: where a private key lives and how a signature is made.

The database holds public keys only. A private key lives in a PKCS#11 token (an HSM; SoftHSM2
in tests and the demo) or in a key file in a directory outside the data directory, whose
permissions are checked. :func:`configured_store` returns the store the configuration names;
a store makes keys (:meth:`KeyStore.create`, returning the public half) and signs with the key
of a given public key (:meth:`KeyStore.signer`, a :class:`mamori.engines.merkle.RawSigner`).
A key that is not there stops signing with :class:`KeyMissing`; nothing makes a key on its
own. The keys of the audit log and statements are named in :mod:`mamori.auditlog.keys`.
"""

from mamori.core.signing._base import (
    PURPOSES,
    KeyMissing,
    KeyStore,
    SigningError,
    StoreRefused,
    key_ref,
)
from mamori.core.signing._configured import configured_store
from mamori.core.signing._keyfile import KeyFileStore
from mamori.core.signing._pkcs11 import Pkcs11Store

__all__ = [
    "PURPOSES",
    "KeyFileStore",
    "KeyMissing",
    "KeyStore",
    "Pkcs11Store",
    "SigningError",
    "StoreRefused",
    "configured_store",
    "key_ref",
]
