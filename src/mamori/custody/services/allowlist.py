"""Destination allowlists (ISM 27, 29-1-4): customers withdraw only to approved addresses
past their cool-down; the exchange moves its own funds only to its registered wallets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import ApiToken, ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.core.errors import Refused
from mamori.custody.fastpath.fastdb import Prepared
from mamori.custody.models import AllowedAddress, Asset, Wallet

__all__ = [
    "KIND",
    "POLICY",
    "AddressRefused",
    "Verdict",
    "apply_approval",
    "check_destination",
    "check_internal_move",
    "request_address",
    "validate_address",
]

#: A customer's entry for a destination (every check of a withdrawal asks: built once).
_ENTRY: Prepared[AllowedAddress] = Prepared(
    lambda customer, asset, address: AllowedAddress.objects.filter(
        customer=customer, asset=asset, address=address
    ),
    "\x00customer",
    -6962_2701,
    "\x00address",
)

KIND = "custody.allowlist_address"
POLICY = "allowlist_address"
_FORMATS = {
    "bitcoin": re.compile(r"^(bc1[02-9ac-hj-np-z]{11,71}|[13][1-9A-HJ-NP-Za-km-z]{25,34})$"),
    "ethereum": re.compile(r"^0x[0-9a-fA-F]{40}$"),
}


class AddressRefused(Refused, ValueError):
    """An address or request is refused; ``code`` is stable for machines."""


def validate_address(asset: Asset, address: str) -> str:
    """Return ``address`` if it is well-formed for the asset's chain, else refuse saying why."""
    address = address.strip()
    pattern = _FORMATS.get(asset.chain)
    if not address or (pattern is not None and not pattern.match(address)):
        raise AddressRefused(
            "malformed_address",
            _("%(address)r is not a valid %(chain)s address")
            % {"address": address, "chain": asset.chain},
        )
    return address


def request_address(
    customer: str, asset: Asset, address: str, label: str, requester: User | ApiToken
) -> AllowedAddress:
    """Register a customer's destination; it needs one approval, then the cool-down."""
    address = validate_address(asset, address)
    with transaction.atomic():
        existing = AllowedAddress.objects.filter(customer=customer, asset=asset, address=address)
        if existing.exists():
            raise AddressRefused(
                "already_registered",
                _("%(address)s is already registered") % {"address": address},
                status=409,
            )
        approval = approvals.submit(
            KIND,
            f"Allow {asset.code} address {address} for {customer}",
            {"customer": customer, "asset": asset.code, "address": address},
            requester,
        )
        return AllowedAddress.objects.create(
            customer=customer,
            asset=asset,
            address=address,
            label=label[:100],
            requested_at=timezone.now(),
            approval=approval,
        )


def apply_approval(request: ApprovalRequest) -> None:
    """Approve the address exactly as requested; it is usable after the cool-down."""
    entry = AllowedAddress.objects.select_for_update().get(approval=request)
    approvals.verify(
        request, {"customer": entry.customer, "asset": entry.asset.code, "address": entry.address}
    )
    now = timezone.now()
    entry.status = AllowedAddress.Status.APPROVED
    entry.usable_from = now + timedelta(hours=entry.asset.address_cooldown_hours)
    entry.save(update_fields=["status", "usable_from"])


def on_closed(request: ApprovalRequest) -> None:
    """Mark a rejected or expired address request as rejected."""
    if request.kind == KIND and request.status != ApprovalRequest.Status.APPROVED:
        AllowedAddress.objects.filter(approval=request).update(
            status=AllowedAddress.Status.REJECTED
        )


@dataclass(frozen=True)
class Verdict:
    """What the allowlist says about a destination: ok, or hold/reject with the reason."""

    action: str  # allow | hold | reject
    code: str = ""
    message: str = ""


def check_destination(customer: str, asset: Asset, address: str, at: datetime) -> Verdict:
    """Check a customer's withdrawal destination against their allowlist."""
    try:
        address = validate_address(asset, address)
    except AddressRefused as refused:
        return Verdict("reject", refused.code, refused.message)
    if asset.unknown_address == "allow":
        return Verdict("allow")
    entry = _ENTRY.first(customer, asset.pk, address)
    if entry is None or entry.status != AllowedAddress.Status.APPROVED:
        state = "not registered" if entry is None else entry.get_status_display()
        return Verdict(
            asset.unknown_address,
            "unknown_address",
            f"{address} is {state} for {customer}; policy: {asset.unknown_address}",
        )
    if entry.usable_from is not None and at < entry.usable_from:
        return Verdict(
            asset.unknown_address,
            "cooling_down",
            f"{address} is usable from {entry.usable_from.isoformat()} (cool-down)",
        )
    return Verdict("allow")


def check_internal_move(asset: Asset, to_address: str) -> Verdict:
    """The exchange's own moves go only to its registered wallets of the same asset."""
    wallet = Wallet.objects.filter(asset=asset, address=to_address.strip()).first()
    if wallet is None:
        return Verdict(
            "reject",
            "unregistered_wallet",
            f"{to_address} is not a registered {asset.code} wallet of the exchange",
        )
    return Verdict("allow")
