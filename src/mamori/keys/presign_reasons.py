"""What each pre-sign refusal means, in the reader's language (ISM 29-1-4). The engine's own
message — with the addresses and ids it names — stays beside it as data."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

__all__ = ["SAID", "shown"]

SAID: dict[str, Promise] = {
    "malformed_transaction": _("The transaction cannot be read as it must be."),
    "wrong_chain": _("The transaction is for another chain than the wallet's."),
    "input_not_ours": _("An input does not come from the wallet's own addresses."),
    "input_amount_unknown": _("An input's amount is not given, so the fee cannot be known."),
    "sighash_not_allowed": _("An input asks for a signature type other than SIGHASH_ALL."),
    "fee_too_high": _("The fee is above the wallet's signing policy."),
    "calldata_not_allowed": _("The call is not a transfer mamori can read."),
    "wrong_token_contract": _("The token contract is not the one registered for the asset."),
    "safe_hash_mismatch": _(
        "The hash the signers are shown is not the hash of this Safe transaction."
    ),
    "safe_refund_not_allowed": _("The Safe would pay a gas refund."),
    "delegatecall_target_not_allowed": _(
        "A delegatecall to a contract not on the wallet's list: it could rewrite the Safe."
    ),
    "safe_owner_change": _("The call changes the Safe's owners, threshold, modules or guard."),
    "destination_not_allowlisted": _("No approved withdrawal pays this destination."),
    "amount_mismatch": _("The amount is not the one approved."),
    "asset_mismatch": _("The asset is not the one approved."),
    "unmatched_transfer": _("A transfer is paid twice or matches no approved withdrawal."),
    "no_transfer": _("The transaction transfers nothing."),
    "intent_expired": _("The approved withdrawal is past the time it could be signed."),
    "replay": _("Already signed: a transaction paying it again is refused."),
    "asset_halted": _("Withdrawals of this asset are halted."),
    "customer_halted": _("Withdrawals of this customer are halted."),
    "wallet_not_registered": _("The wallet is not in the key inventory."),
}


def shown(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return ``reasons`` each with ``said``: its meaning in the active language."""
    return [{**r, "said": SAID.get(str(r.get("code")), r.get("message", ""))} for r in reasons]
