"""Key and seed inventory, spread rules and ceremony checks (ISM 28–29), without secrets.

Framework-free: values in, findings out. The inventory (:mod:`.inventory`) describes wallets,
keys and shares, their generation and backups; :mod:`.spread` evaluates the spread rules
(ISM 28-2-3/6/7, 28-3-2, 29-1-5) given as data; :mod:`.policy` checks cryptographic schemes
and strengths (ISM 29-1-6); :mod:`.records` that each key and backup is fully described
(ISM 28-1, 28-3); :mod:`.addresses` and :mod:`.shares` verify a ceremony's public output
(ISM 28-1-2, 28-2); :mod:`.scan` refuses anything that looks like a secret; :mod:`.hsm` makes
and uses a key inside a PKCS#11 token (imported on its own, as it needs the PKCS#11 library).
"""

from mamori.engines.keys.addresses import (
    AddressError,
    btc_address,
    check_btc_addresses,
    check_evm_address,
    check_multisig_addresses,
    evm_address,
    multisig_address,
)
from mamori.engines.keys.findings import Conflict, Finding
from mamori.engines.keys.inventory import (
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
from mamori.engines.keys.policy import (
    DEFAULT_POLICY,
    CryptoPolicy,
    PolicyError,
    check_policy,
    policy_from_data,
)
from mamori.engines.keys.records import check_records
from mamori.engines.keys.scan import SecretFound, SecretHit, find_secrets, refuse_secrets
from mamori.engines.keys.shares import (
    Bip39Vector,
    ShareError,
    ShareScheme,
    ShareSet,
    bip39_checksum_ok,
    check_bip39_vectors,
    check_share_set,
    share_set_parameters,
)
from mamori.engines.keys.spread import (
    DEFAULT_RULES,
    HolderLeaves,
    Impact,
    PersonMoves,
    RuleError,
    SiteCloses,
    SpreadRule,
    check_entry,
    evaluate,
    impact_of_change,
    rules_from_data,
)

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_RULES",
    "AddressError",
    "Backup",
    "Bip39Vector",
    "Conflict",
    "CryptoPolicy",
    "Finding",
    "GenerationRecord",
    "HolderLeaves",
    "Impact",
    "Inventory",
    "KeyMaterial",
    "PersonMoves",
    "PolicyError",
    "Role",
    "RuleError",
    "Scheme",
    "SecretFound",
    "SecretHit",
    "ShareError",
    "ShareScheme",
    "ShareSet",
    "SigningScheme",
    "SiteCloses",
    "SpreadRule",
    "Storage",
    "StorageKind",
    "Wallet",
    "bip39_checksum_ok",
    "btc_address",
    "check_bip39_vectors",
    "check_btc_addresses",
    "check_entry",
    "check_evm_address",
    "check_multisig_addresses",
    "check_policy",
    "check_records",
    "check_share_set",
    "evaluate",
    "evm_address",
    "find_secrets",
    "impact_of_change",
    "multisig_address",
    "policy_from_data",
    "refuse_secrets",
    "rules_from_data",
    "share_set_parameters",
]
