"""Whether an IP address is one mamori may call on the public internet: one answer for the
webhook filter and the deployment checks.

An address is refused unless Python's ``ipaddress`` says it is globally routable (so private,
loopback, link-local and cloud metadata, carrier-grade NAT 100.64.0.0/10, documentation and
reserved ranges are all refused, without a hand-kept list) and it is not multicast. An IPv6
address that carries an IPv4 one (IPv4-mapped, 6to4, Teredo, NAT64) is judged by that one too.
"""

from __future__ import annotations

import ipaddress

__all__ = ["IPAddress", "not_global"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def _kind(address: IPAddress) -> str | None:
    if address.is_global and not address.is_multicast:
        return None
    for kind in ("loopback", "link_local", "private", "multicast", "unspecified", "reserved"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    if address in ipaddress.IPv4Network("100.64.0.0/10"):
        return "shared (carrier-grade NAT)"
    return "special-purpose"


def _carried(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    carried = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if address in _NAT64:
        carried.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [a for a in carried if a is not None]


def not_global(address: IPAddress) -> str | None:
    """Return why ``address`` is not a globally routable unicast address (its kind, e.g.
    ``"link-local"`` for 169.254.169.254), or None when it is one."""
    if isinstance(address, ipaddress.IPv6Address):
        for inner in _carried(address):
            if (kind := _kind(inner)) is not None:
                return f"{kind} (carried in {address})"
    return _kind(address)
