"""The ceremony output check (ISM 28-1, 28-2-5): addresses derived from the public output a
ceremony produced are compared with the registered ones; anything that looks like a secret is
refused before it is kept, logged or even parsed."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from mamori.engines import keys as engine
from mamori.keys.models import Wallet
from mamori.keys.services import refuse_secrets

__all__ = ["Line", "verify"]


@dataclass(frozen=True)
class Line:
    """One registered address: its path, whether it matches, what was derived."""

    path: str
    registered: str
    derived: str
    holds: bool
    said: str


def _registered(text: str, wallet: Wallet) -> dict[str, str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        lines = [str(a) for a in wallet.addresses]
    out = {}
    for index, line in enumerate(lines):
        parts = line.split()
        path, address = (parts[0], parts[1]) if len(parts) == 2 else (f"0/{index}", parts[0])
        out[path] = address
    return out


def _said(finding: engine.Finding) -> str:
    if finding.holds:
        return str(_("matches the address derived from the public output"))
    if finding.code == "ceremony.evm_checksum":
        return str(_("the registered address has a wrong EIP-55 checksum"))
    if finding.expected:
        return str(_("does not match: derived %(derived)s") % {"derived": finding.expected})
    return str(_("cannot be derived: %(why)s") % {"why": finding.got})


def verify(wallet: Wallet, kind: str, public_data: str, addresses: str) -> list[Line]:
    """Refuse secrets (:class:`~mamori.keys.services.KeyRefused`), then compare each
    registered address with the one derived from the public output."""
    refuse_secrets({"public_data": public_data, "addresses": addresses})
    registered = _registered(addresses, wallet)
    data = [part for part in public_data.split() if part]
    if kind == "evm":
        address = next(iter(registered.values()), "")
        found = [engine.check_evm_address(wallet.name, data[0] if data else "", address)]
        paths = ["—"]
    elif kind == "multisig":
        found = engine.check_multisig_addresses(wallet.name, wallet.m, data, registered)
        paths = list(registered)
    else:
        found = engine.check_btc_addresses(wallet.name, data[0] if data else "", registered)
        paths = list(registered)
    regs = list(registered.values()) or [""]
    return [
        Line(path, regs[min(i, len(regs) - 1)], f.expected, f.holds, _said(f))
        for i, (path, f) in enumerate(zip(paths, found, strict=False))
    ]
