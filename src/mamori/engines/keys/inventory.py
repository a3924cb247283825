"""The key and seed inventory as values (ISM 28, 29): wallets, keys and shares, how each was
generated, where each is kept and backed up.

Nothing here holds a secret: a key is described by where it is, who holds it and its public
half at most ("mamori never stores a seed or private key"). Django models convert to and from
these values at the edge.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

__all__ = [
    "Backup",
    "GenerationRecord",
    "Inventory",
    "KeyMaterial",
    "Role",
    "Scheme",
    "SigningScheme",
    "Storage",
    "StorageKind",
    "Wallet",
]


class Role(enum.StrEnum):
    """What a key or share is for (ISM 28-2-3: recovery keys are managed apart)."""

    OPERATING = "operating"
    RECOVERY = "recovery"
    BACKUP = "backup"


class Scheme(enum.StrEnum):
    """How many keys a movement needs (ISM 28-2-2)."""

    SINGLE = "single"
    MULTISIG = "multisig"
    MPC = "mpc"


class StorageKind(enum.StrEnum):
    """Where a key or share physically lives (ISM 28-3)."""

    HSM = "hsm"
    HARDWARE_WALLET = "hardware_wallet"
    PAPER = "paper"
    STEEL = "steel"


@dataclass(frozen=True)
class SigningScheme:
    """Single key, m-of-n multisig or m-of-n MPC/threshold (ISM 28-2-2, 29-1-5)."""

    kind: Scheme
    m: int = 1
    n: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.m <= self.n:
            raise ValueError(f"signing scheme: expected 1 <= m <= n, got m={self.m}, n={self.n}")
        if self.kind is Scheme.SINGLE and (self.m, self.n) != (1, 1):
            raise ValueError(f"single-key scheme: expected 1-of-1, got {self.m}-of-{self.n}")

    def __str__(self) -> str:
        if self.kind is Scheme.SINGLE:
            return "single key"
        return f"{self.m}-of-{self.n} {self.kind.value}"


@dataclass(frozen=True)
class Storage:
    """The device or medium a key is kept on, its model and how it is encrypted (ISM 28-3-1)."""

    kind: StorageKind
    model: str = ""
    encryption: str = ""


@dataclass(frozen=True)
class GenerationRecord:
    """How a key or seed came to be (ISM 28-1-1 to 28-1-3): who generated it, with which method
    and random number generator, which prior verification was done and who witnessed it."""

    generated_by: str
    method: str
    rng_spec: str
    prior_verification: str = ""
    witnesses: tuple[str, ...] = ()
    at: str = ""


@dataclass(frozen=True)
class Backup:
    """A backup of a key or seed (ISM 28-3-2 to 28-3-6): where, who holds it, how it is
    encrypted, who may reach it and through which channel an access is detected."""

    id: str
    site: str
    holder: str
    encryption: str = ""
    access_rights: tuple[str, ...] = ()
    access_detection: str = ""
    unit: str = ""


@dataclass(frozen=True)
class Wallet:
    """A wallet: its chain, addresses and derivation, and its signing scheme (ISM 28-2)."""

    id: str
    chain: str
    scheme: SigningScheme
    addresses: tuple[str, ...] = ()
    derivation_path: str = ""
    hash_function: str = "sha256"
    hot: bool = False


@dataclass(frozen=True)
class KeyMaterial:
    """A key or a share of one, where it is and who holds it (ISM 28-2-6/7, 28-3).

    ``share_of`` names the key this is a share of (SLIP-39 or MPC shares); empty for a whole
    key. ``public_key`` is the public half (hex or an extended public key), never the private.
    """

    id: str
    wallet: str
    role: Role
    holder: str
    site: str
    unit: str
    storage: Storage
    organisation: str = ""
    share_of: str = ""
    curve: str = "secp256k1"
    key_bits: int = 256
    public_key: str = ""
    generation: GenerationRecord | None = None
    backups: tuple[Backup, ...] = ()


@dataclass(frozen=True)
class Inventory:
    """Every wallet and every key or share the exchange holds."""

    wallets: tuple[Wallet, ...] = ()
    keys: tuple[KeyMaterial, ...] = field(default=())

    def wallet(self, wallet_id: str) -> Wallet | None:
        """Return the wallet ``wallet_id`` or None."""
        return next((w for w in self.wallets if w.id == wallet_id), None)

    def keys_of(self, wallet_id: str) -> Iterator[KeyMaterial]:
        """Yield the keys and shares of ``wallet_id``."""
        return (key for key in self.keys if key.wallet == wallet_id)

    def with_key(self, key: KeyMaterial) -> Inventory:
        """Return the inventory with ``key`` added, or replacing the key of the same id."""
        kept = tuple(k for k in self.keys if k.id != key.id)
        return replace(self, keys=(*kept, key))
