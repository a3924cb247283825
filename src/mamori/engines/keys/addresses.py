"""Addresses derived from public data only, compared with the registered ones (ISM 28-2-1,
28-2-4, 28-2-5): a generation ceremony's output is verified without any secret.

- Bitcoin single-key accounts from an account extended public key: BIP-44 (P2PKH), BIP-49
  (P2WPKH in P2SH) and BIP-84 (P2WPKH); the version (xpub/ypub/zpub, tpub/upub/vpub, SLIP-132)
  says the network and, for y/z and u/v, the script;
- Bitcoin m-of-n multisig P2WSH ``sortedmulti`` (BIP-67 key order) from the n account xpubs;
- EVM addresses from a public key (uncompressed or compressed), checksum-aware (EIP-55).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from embit import bip32, script
from embit.networks import NETWORKS
from eth_keys.datatypes import PublicKey
from eth_utils.address import is_checksum_address

from mamori.engines.keys.findings import Finding

__all__ = [
    "AddressError",
    "btc_address",
    "check_btc_addresses",
    "check_evm_address",
    "check_multisig_addresses",
    "evm_address",
    "multisig_address",
]

_ARTICLE = "ISM 28-2-5"


class AddressError(ValueError):
    """Public data that cannot give an address: the message says what was expected."""


@dataclass(frozen=True)
class _Version:
    network: str
    purpose: int | None  # None: any (xpub/tpub serve BIP-44 and others)


_VERSIONS = {
    "xpub": _Version("main", None),
    "ypub": _Version("main", 49),
    "zpub": _Version("main", 84),
    "tpub": _Version("test", None),
    "upub": _Version("test", 49),
    "vpub": _Version("test", 84),
    "Zpub": _Version("main", 48),
    "Vpub": _Version("test", 48),
}


def _account(extended: str) -> tuple[Any, _Version]:
    prefix = extended[:4]
    if prefix[1:] == "prv":
        raise AddressError(
            "expected an extended public key, got an extended private key (it is not kept)"
        )
    if prefix not in _VERSIONS:
        raise AddressError(
            f"expected an extended public key ({', '.join(_VERSIONS)}), got {prefix!r}…"
        )
    try:
        key = bip32.HDKey.from_string(extended)
    except Exception as exc:  # embit raises bare errors on a bad checksum or length
        raise AddressError(f"expected a valid extended public key, got {exc}") from None
    if key.is_private:
        raise AddressError("expected an extended public key, got a private one")
    return key, _VERSIONS[prefix]


def _path(path: str) -> tuple[int, int]:
    parts = path.strip("/").split("/")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise AddressError(f"expected a path change/index such as 0/5, got {path!r}")
    return int(parts[0]), int(parts[1])


def btc_address(account_xpub: str, path: str, purpose: int | None = None) -> str:
    """Return the address at ``path`` ("change/index") below an account xpub.

    ``purpose`` (44, 49 or 84) is needed for xpub/tpub only; ypub/zpub (upub/vpub) carry it.
    """
    key, version = _account(account_xpub)
    if version.purpose is not None and purpose not in (None, version.purpose):
        raise AddressError(
            f"expected purpose {version.purpose} for a {account_xpub[:4]}, got {purpose}"
        )
    purpose = version.purpose or purpose or 44
    if purpose not in (44, 49, 84):
        raise AddressError(f"expected purpose 44, 49 or 84, got {purpose}")
    child = key.derive(list(_path(path)))
    if purpose == 44:
        out = script.p2pkh(child.key)
    elif purpose == 49:
        out = script.p2sh(script.p2wpkh(child.key))
    else:
        out = script.p2wpkh(child.key)
    return str(out.address(NETWORKS[version.network]))


def multisig_address(m: int, account_xpubs: Sequence[str], path: str) -> str:
    """Return the P2WSH ``sortedmulti(m, ...)`` address at ``path`` below the n account xpubs."""
    if not 1 <= m <= len(account_xpubs):
        raise AddressError(f"expected 1 <= m <= n, got m={m}, n={len(account_xpubs)}")
    accounts = [_account(x) for x in account_xpubs]
    networks = {version.network for _key, version in accounts}
    if len(networks) != 1:
        raise AddressError(f"expected the xpubs of one network, got {sorted(networks)}")
    step = list(_path(path))
    keys = sorted((key.derive(step).key for key, _version in accounts), key=lambda k: k.sec())
    return str(script.p2wsh(script.multisig(m, keys)).address(NETWORKS[networks.pop()]))


def _compare(code: str, subject: str, derived: str, registered: str, what: str) -> Finding:
    if derived == registered:
        return Finding(
            code, subject, True, _ARTICLE, f"{subject}: {what} matches", derived, derived
        )
    return Finding(
        code,
        subject,
        False,
        _ARTICLE,
        f"{subject}: the registered {what} is not the one derived from the public keys",
        derived,
        registered,
    )


def _refused(code: str, subject: str, error: Exception) -> Finding:
    return Finding(code, subject, False, _ARTICLE, f"{subject}: {error}", got=str(error))


def check_btc_addresses(
    wallet: str, account_xpub: str, registered: Mapping[str, str], purpose: int | None = None
) -> list[Finding]:
    """Compare each registered address (``{"0/0": "bc1…", ...}``) with the derived one."""
    found = []
    for path, address in registered.items():
        subject = f"{wallet}:{path}"
        try:
            derived = btc_address(account_xpub, path, purpose)
        except AddressError as exc:
            found.append(_refused("ceremony.address", subject, exc))
            continue
        found.append(_compare("ceremony.address", subject, derived, address, "address"))
    return found


def check_multisig_addresses(
    wallet: str, m: int, account_xpubs: Sequence[str], registered: Mapping[str, str]
) -> list[Finding]:
    """Compare each registered multisig address with ``sortedmulti(m, xpubs)`` at its path."""
    found = []
    for path, address in registered.items():
        subject = f"{wallet}:{path}"
        try:
            derived = multisig_address(m, account_xpubs, path)
        except AddressError as exc:
            found.append(_refused("ceremony.multisig_address", subject, exc))
            continue
        found.append(
            _compare("ceremony.multisig_address", subject, derived, address, "multisig address")
        )
    return found


_P = 2**256 - 2**32 - 977  # the secp256k1 field prime (SEC 2, 2.4.1)


def _on_curve(point: bytes) -> bool:
    x, y = int.from_bytes(point[:32], "big"), int.from_bytes(point[32:], "big")
    return x < _P and y < _P and (y * y - x * x * x - 7) % _P == 0


def evm_address(public_key: str | bytes) -> str:
    """Return the EIP-55 checksummed address of a secp256k1 public key given as 64 or 65
    (``04``-prefixed) bytes uncompressed, or 33 bytes compressed, in hex or bytes."""
    try:
        raw = (
            bytes.fromhex(public_key.removeprefix("0x"))
            if isinstance(public_key, str)
            else public_key
        )
    except ValueError:
        raise AddressError("expected a public key in hex, got other characters") from None
    if len(raw) == 33 and raw[0] in (2, 3):
        point = PublicKey.from_compressed_bytes(raw).to_bytes()
    elif len(raw) == 65 and raw[0] == 4:
        point = raw[1:]
    elif len(raw) == 64:
        point = raw
    else:
        raise AddressError(f"expected a public key of 33, 64 or 65 bytes, got {len(raw)} bytes")
    if not _on_curve(point):
        raise AddressError("expected a point on secp256k1, got one off the curve")
    return str(PublicKey(point).to_checksum_address())


def check_evm_address(subject: str, public_key: str | bytes, registered: str) -> Finding:
    """Compare a registered EVM address with the one of ``public_key``: a mixed-case address
    must carry a valid EIP-55 checksum; case is otherwise ignored."""
    try:
        derived = evm_address(public_key)
    except AddressError as exc:
        return _refused("ceremony.evm_address", subject, exc)
    mixed = registered[2:] not in (registered[2:].lower(), registered[2:].upper())
    if mixed and not is_checksum_address(registered):
        return Finding(
            "ceremony.evm_checksum",
            subject,
            False,
            "ISM 28-2-1",
            f"{subject}: the registered address has a wrong EIP-55 checksum (a typo?)",
            derived,
            registered,
        )
    if registered.lower() == derived.lower():
        registered = derived
    return _compare("ceremony.evm_address", subject, derived, registered, "EVM address")
