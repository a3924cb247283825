"""Allowed cryptographic schemes and strengths as data, checked against the inventory
(ISM 29-1-6, and 28-3-1/28-3-6 for the encryption of keys and backups).

A :class:`CryptoPolicy` is loaded from a plain dict (YAML or JSON); :func:`check_policy`
returns a finding for each key or wallet that falls short, and one that holds per check when
nothing does, so a control can show which part of the policy is met.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from mamori.engines.keys.findings import Finding
from mamori.engines.keys.inventory import Inventory, Role, Scheme

__all__ = ["DEFAULT_POLICY", "CryptoPolicy", "PolicyError", "check_policy", "policy_from_data"]

_ARTICLE = "ISM 29-1-6"


class PolicyError(ValueError):
    """A policy given as data is malformed."""


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", "-")


@dataclass(frozen=True)
class CryptoPolicy:
    """What the exchange allows: curves, hash functions, RSA size, multisig/MPC thresholds and
    the encryption of stored keys and backups (names compared case-insensitively)."""

    curves: frozenset[str] = frozenset({"secp256k1", "ed25519", "p-256"})
    hash_functions: frozenset[str] = frozenset(
        {"sha256", "sha-256", "sha3-256", "keccak256", "keccak-256", "blake2b", "sha512"}
    )
    rsa_min_bits: int = 3072
    multisig_min_m: int = 2
    mpc_min_m: int = 2
    hot_wallet_single_key: bool = False
    encryption: frozenset[str] = frozenset({"aes-256-gcm", "chacha20-poly1305", "hsm"})
    unencrypted_storage: frozenset[str] = frozenset({"hsm", "steel"})


DEFAULT_POLICY = CryptoPolicy()


def policy_from_data(data: Mapping[str, Any]) -> CryptoPolicy:
    """Build a policy from a dict; fields left out keep :data:`DEFAULT_POLICY`'s values."""
    known = {f.name: f for f in fields(CryptoPolicy)}
    unknown = set(data) - set(known)
    if unknown:
        raise PolicyError(f"crypto policy: unknown fields {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, value in data.items():
        default = getattr(DEFAULT_POLICY, name)
        if isinstance(default, frozenset):
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise PolicyError(f"crypto policy {name}: expected a list of names, got {value!r}")
            values[name] = frozenset(_norm(v) for v in value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise PolicyError(f"crypto policy {name}: expected true or false, got {value!r}")
            values[name] = value
        else:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise PolicyError(
                    f"crypto policy {name}: expected a positive integer, got {value!r}"
                )
            values[name] = value
    return CryptoPolicy(**values)


def _bad(code: str, subject: str, message: str, expected: str, got: str) -> Finding:
    return Finding(f"policy.{code}", subject, False, _ARTICLE, message, expected, got)


def _keys(inventory: Inventory, policy: CryptoPolicy) -> list[Finding]:
    found = []
    for key in inventory.keys:
        curve = _norm(key.curve)
        if curve == "rsa":
            if key.key_bits < policy.rsa_min_bits:
                found.append(
                    _bad(
                        "key_size",
                        key.id,
                        f"{key.id}: RSA key of {key.key_bits} bits is below the policy",
                        f"at least {policy.rsa_min_bits} bits",
                        f"{key.key_bits} bits",
                    )
                )
        elif curve not in policy.curves:
            found.append(
                _bad(
                    "curve",
                    key.id,
                    f"{key.id}: curve {key.curve} is not allowed",
                    ", ".join(sorted(policy.curves)),
                    key.curve,
                )
            )
        media = [(key.id, key.storage.encryption, key.storage.kind.value)]
        media += [(b.id, b.encryption, "") for b in key.backups]
        for name, encryption, kind in media:
            if kind in policy.unencrypted_storage and not encryption:
                continue
            if _norm(encryption) not in policy.encryption:
                found.append(
                    _bad(
                        "encryption",
                        name,
                        f"{name}: encryption {encryption or 'none'} is not allowed",
                        ", ".join(sorted(policy.encryption)),
                        encryption or "none",
                    )
                )
    return found


def _wallets(inventory: Inventory, policy: CryptoPolicy) -> list[Finding]:
    found = []
    for wallet in inventory.wallets:
        if _norm(wallet.hash_function) not in policy.hash_functions:
            found.append(
                _bad(
                    "hash_function",
                    wallet.id,
                    f"{wallet.id}: hash function {wallet.hash_function} is not allowed",
                    ", ".join(sorted(policy.hash_functions)),
                    wallet.hash_function,
                )
            )
        scheme = wallet.scheme
        least = {Scheme.MULTISIG: policy.multisig_min_m, Scheme.MPC: policy.mpc_min_m}
        if scheme.kind in least and scheme.m < least[scheme.kind]:
            found.append(
                _bad(
                    "threshold",
                    wallet.id,
                    f"{wallet.id}: {scheme} needs fewer keys than the policy",
                    f"m >= {least[scheme.kind]}",
                    f"m = {scheme.m}",
                )
            )
        if wallet.hot and scheme.kind is Scheme.SINGLE and not policy.hot_wallet_single_key:
            found.append(
                _bad(
                    "hot_single_key",
                    wallet.id,
                    f"{wallet.id}: a hot wallet signed by a single key",
                    "multisig or MPC",
                    "single key",
                )
            )
        count = sum(1 for key in inventory.keys_of(wallet.id) if key.role is not Role.BACKUP)
        if scheme.kind is Scheme.MULTISIG and count != scheme.n:
            found.append(
                _bad(
                    "key_count",
                    wallet.id,
                    f"{wallet.id}: {scheme} but {count} keys registered",
                    f"{scheme.n} keys",
                    f"{count} keys",
                )
            )
    return found


_CHECKS = (
    "curve",
    "key_size",
    "encryption",
    "hash_function",
    "threshold",
    "hot_single_key",
    "key_count",
)


def check_policy(inventory: Inventory, policy: CryptoPolicy = DEFAULT_POLICY) -> list[Finding]:
    """Return every shortfall of ``inventory`` against ``policy``, then one holding finding
    (subject "inventory") for each check with no shortfall."""
    found = _keys(inventory, policy) + _wallets(inventory, policy)
    failed = {f.code for f in found}
    for check in _CHECKS:
        if f"policy.{check}" not in failed:
            found.append(Finding(f"policy.{check}", "inventory", True, _ARTICLE, f"{check}: holds"))
    return found
