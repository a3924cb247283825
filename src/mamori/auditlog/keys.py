"""The keys that sign the audit log's checkpoints and the reconciliation statements.

The database holds public keys only (:class:`~mamori.auditlog.models.SigningKey`, append-only:
the latest row of a purpose is current). Private keys live in the store the configuration
names (:mod:`mamori.core.signing`: a PKCS#11 token, or key files outside the data directory).

- :func:`signing_key` is what code calls to sign: it returns a :class:`merkle.LogKey` whose
  signatures are made by the store, or raises :class:`signing.SigningError` saying what is
  missing and where it was looked for. Nothing here makes a key on its own.
- :func:`init` makes the first key of a purpose, on purpose (``mamori keys init``).
- A rotation is an approval kind (``auditlog.key_rotation``, policy ``key_rotation``: two
  people): :func:`prepare` makes the new key in the store and returns its public half,
  :func:`request_rotation` asks for it, and on approval :func:`apply_rotation` makes it
  current and writes the old and the new public key to the audit log.
- :func:`database_verifiers` are the keys the database holds: what a check run inside mamori
  uses. Verification that means anything uses keys kept outside (``--key``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import pydantic
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.auditlog.models import SigningKey
from mamori.core import signing
from mamori.engines import merkle

__all__ = [
    "KIND",
    "POLICY",
    "RotationSnapshot",
    "apply_rotation",
    "current",
    "database_verifier",
    "database_verifiers",
    "init",
    "name_for",
    "origin",
    "pending",
    "prepare",
    "request_rotation",
    "signing_key",
    "verifier_of",
]

KIND = "auditlog.key_rotation"
POLICY = "key_rotation"
LEGACY = "legacy"
_PROBE = b"mamori signing key check"


def origin() -> str:
    """Return the log's origin: the name of its first key, or the configured one.

    Once a key exists its name is the origin for good, whatever the host list becomes.
    """
    first = (
        SigningKey.objects.filter(purpose=SigningKey.Purpose.LOG)
        .order_by("pk")
        .values_list("name", flat=True)
        .first()
    )
    if first:
        return first
    configured = settings.CONFIG.log_origin or f"{settings.ALLOWED_HOSTS[0]}/mamori-audit"
    return configured.replace(" ", "_")


def _purpose(purpose: str) -> str:
    if purpose not in signing.PURPOSES:
        raise signing.SigningError(
            "bad_purpose",
            _("Unknown key purpose %(purpose)r; known: %(known)s")
            % {"purpose": purpose, "known": ", ".join(signing.PURPOSES)},
        )
    return purpose


def name_for(purpose: str) -> str:
    """Return the name verifiers know ``purpose``'s key by (kept across rotations)."""
    if _purpose(purpose) == SigningKey.Purpose.LOG:
        return origin()
    first = (
        SigningKey.objects.filter(purpose=purpose).order_by("pk").values_list("name", flat=True)
    ).first()
    return first or f"{origin().split('/')[0]}/mamori-reconciliation"


def current(purpose: str) -> SigningKey | None:
    """Return ``purpose``'s current key row (its latest), or None if none was ever made."""
    return SigningKey.objects.filter(purpose=_purpose(purpose)).order_by("-pk").first()


def verifier_of(row: SigningKey) -> str:
    """Return the verifier key string of ``row`` (``name+hexid+base64``)."""
    return merkle.note_verifier(row.name, bytes(row.public_key))


def _no_key(purpose: str) -> signing.KeyMissing:
    return signing.KeyMissing(
        "no_key",
        _(
            "No %(purpose)s signing key has been made, so nothing is signed. Make one on "
            "purpose with `mamori keys init %(purpose)s` (it goes to the configured store)."
        )
        % {"purpose": purpose},
    )


def database_verifier(purpose: str) -> str:
    """Return the current key's verifier as the database has it (no private key needed)."""
    row = current(purpose)
    if row is None:
        raise _no_key(purpose)
    return verifier_of(row)


def database_verifiers(purpose: str) -> list[str]:
    """Return every key ``purpose`` has had, oldest first, as the database has them."""
    rows = SigningKey.objects.filter(purpose=_purpose(purpose)).order_by("pk")
    return [verifier_of(row) for row in rows]


def signing_key(purpose: str) -> merkle.LogKey:
    """Return ``purpose``'s current key, signing through the configured store; raise
    :class:`signing.SigningError` (the key was never made, was kept in the database and is
    retired, or is not in the store, naming where it was looked for)."""
    row = current(purpose)
    if row is None:
        raise _no_key(purpose)
    if row.store == LEGACY:
        raise signing.KeyMissing(
            "legacy_key",
            _(
                "The %(purpose)s key %(key)s was kept in the database and is retired: nothing "
                "is signed with it. Make a key outside the data directory with `mamori keys "
                "init %(purpose)s`."
            )
            % {"purpose": purpose, "key": row.key_id},
        )
    store = signing.configured_store()
    return merkle.LogKey(row.name, store.signer(purpose, bytes(row.public_key)))


def _check_pair(store: signing.KeyStore, purpose: str, public_key: bytes) -> None:
    """Sign a probe through the store and check it with ``public_key``: the store holds its
    private half."""
    signature = store.signer(purpose, public_key).sign(_PROBE)
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, _PROBE)
    except InvalidSignature:
        raise signing.KeyMissing(
            "key_mismatch",
            _("%(location)s does not hold the private half of key %(key)s.")
            % {"location": store.location(), "key": public_key.hex()[:16]},
        ) from None


def _add(
    purpose: str, public_key: bytes, store: str, by: str, approval: int | None = None
) -> SigningKey:
    name = name_for(purpose)
    return SigningKey.objects.create(
        purpose=purpose,
        name=name,
        key_id=merkle.verifier_key_id(name, public_key).hex(),
        public_key=public_key,
        store=store,
        created_by=by[:200],
        approval=approval,
    )


def _record(action: str, row: SigningKey, old: SigningKey | None, **details: Any) -> None:
    from mamori.auditlog.services import record

    record(
        action,
        "auditlog.signingkey",
        str(row.pk),
        {
            "purpose": row.purpose,
            "old_key": verifier_of(old) if old else None,
            "new_key": verifier_of(row),
            **details,
        },
    )


def init(purpose: str, by: str) -> SigningKey:
    """Make ``purpose``'s first key in the configured store and record its public half (and,
    if the previous one was kept in the database, retire it). Refuse when a key exists: a new
    one is a rotation, approved by two people."""
    previous = current(purpose)
    if previous is not None and previous.store != LEGACY:
        raise signing.SigningError(
            "key_exists",
            _(
                "The %(purpose)s key %(key)s exists; a new key is a rotation: `mamori keys "
                "prepare %(purpose)s`, then `mamori keys rotate` (two people approve)."
            )
            % {"purpose": purpose, "key": previous.key_id},
        )
    store = signing.configured_store()
    public_key = store.create(purpose)
    _check_pair(store, purpose, public_key)
    with transaction.atomic():
        row = _add(purpose, public_key, store.kind, by)
        _record("keys.init", row, previous, store=store.kind, location=store.location())
    return row


def prepare(purpose: str) -> str:
    """Make a new key for ``purpose`` in the configured store (not yet in use); return its
    verifier, which a rotation request carries."""
    _purpose(purpose)
    store = signing.configured_store()
    public_key = store.create(purpose)
    _check_pair(store, purpose, public_key)
    return merkle.note_verifier(name_for(purpose), public_key)


class RotationSnapshot(pydantic.BaseModel):
    """A request to make ``new_key`` (a verifier string) the current key of ``purpose``."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    purpose: str = pydantic.Field(pattern=r"^(log|statement)$")
    current_key_id: str | None = pydantic.Field(pattern=r"^[0-9a-f]{8}$")
    new_key: str = pydantic.Field(max_length=400)


def _public_of(verifier: str, purpose: str) -> bytes:
    """Return the public key of ``verifier``, which must be a well-formed verifier of
    ``purpose``'s key name."""
    try:
        name, key_id, encoded = verifier.strip().split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raw, name, key_id = b"", "", ""
    if (
        len(raw) != 33
        or raw[:1] != b"\x01"
        or (merkle.verifier_key_id(name, raw[1:]).hex() != key_id)
    ):
        raise approvals.ApprovalRefused(
            "bad_key", _("The new key is not an Ed25519 verifier key (name+id+base64).")
        )
    if name != name_for(purpose):
        raise approvals.ApprovalRefused(
            "bad_key",
            _("The new key is named %(name)s; the %(purpose)s key is named %(expected)s.")
            % {"name": name, "purpose": purpose, "expected": name_for(purpose)},
        )
    return raw[1:]


def pending(purpose: str) -> ApprovalRequest | None:
    """Return the rotation of ``purpose`` waiting for approval, if any."""
    waiting = ApprovalRequest.objects.filter(kind=KIND, status=ApprovalRequest.Status.PENDING)
    return next((r for r in waiting.order_by("pk") if r.snapshot.get("purpose") == purpose), None)


def request_rotation(purpose: str, new_key: str, by: User) -> ApprovalRequest:
    """Ask for ``new_key`` (a verifier printed by :func:`prepare`) to become ``purpose``'s
    key; the store must already hold its private half. Applied once two people approve."""
    _purpose(purpose)
    public_key = _public_of(new_key, purpose)
    try:
        _check_pair(signing.configured_store(), purpose, public_key)
    except signing.SigningError as exc:
        raise approvals.ApprovalRefused(exc.code, exc.message) from None
    old = current(purpose)
    if old is not None and bytes(old.public_key) == public_key:
        raise approvals.ApprovalRefused("same_key", _("That key is already the current one."))
    waiting = pending(purpose)
    if waiting is not None:
        raise approvals.ApprovalRefused(
            "already_requested",
            _("A rotation of the %(purpose)s key already waits for approval: request #%(id)s.")
            % {"purpose": purpose, "id": waiting.pk},
        )
    snapshot = {
        "purpose": purpose,
        "current_key_id": old.key_id if old else None,
        "new_key": new_key.strip(),
    }
    title = f"Rotate the {purpose} signing key to {new_key.strip().split('+')[1]}"
    return approvals.submit(KIND, title, snapshot, by)


def apply_rotation(request: ApprovalRequest) -> None:
    """Make the approved key current, if the current key is still the one the request
    replaced and the store holds the new key's private half; log the old and the new key."""
    snapshot = request.snapshot
    purpose = snapshot["purpose"]
    old = current(purpose)
    if (old.key_id if old else None) != snapshot["current_key_id"]:
        raise approvals.ApprovalRefused(
            "stale",
            _("The %(purpose)s key changed since the request was made; ask again.")
            % {"purpose": purpose},
        )
    public_key = _public_of(snapshot["new_key"], purpose)
    try:
        store = signing.configured_store()
        _check_pair(store, purpose, public_key)
    except signing.SigningError as exc:
        raise approvals.ApprovalRefused(exc.code, exc.message) from None
    requester = request.requester.get_username() if request.requester else ""
    row = _add(purpose, public_key, store.kind, f"user:{requester}", approval=request.pk)
    _record("keys.rotate", row, old, approval=request.pk, store=store.kind)
