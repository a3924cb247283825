"""Pre-sign verification (ISM 29-1-4): is the transaction about to be signed exactly an
approved withdrawal?

A co-signer or signing service hands over the transaction it is about to sign — a Bitcoin
PSBT, an EVM transaction, or a Safe transaction with the hash its owners will sign — and
:func:`verify` answers *sign* or *refuse*, each refusal with a stable code (``replay``,
``amount_mismatch``, ``delegatecall_target_not_allowed``, …), what was expected and what was
got, and the hash that would be signed. No Django and no I/O: intents, policy, halts and the
hashes already signed are passed in.
"""

from mamori.engines.presign.bitcoin import decode_psbt
from mamori.engines.presign.evm import decode_evm
from mamori.engines.presign.match import decode, verify
from mamori.engines.presign.safe import OWNER_CHANGES, decode_safe, safe_tx_hash
from mamori.engines.presign.values import (
    Code,
    Decision,
    Decoded,
    EvmTransaction,
    FeePolicy,
    IntentState,
    Psbt,
    Reason,
    SafePolicy,
    SafeTransaction,
    Transaction,
    Transfer,
    Verdict,
    WalletPolicy,
    WithdrawalIntent,
)

__all__ = [
    "OWNER_CHANGES",
    "Code",
    "Decision",
    "Decoded",
    "EvmTransaction",
    "FeePolicy",
    "IntentState",
    "Psbt",
    "Reason",
    "SafePolicy",
    "SafeTransaction",
    "Transaction",
    "Transfer",
    "Verdict",
    "WalletPolicy",
    "WithdrawalIntent",
    "decode",
    "decode_evm",
    "decode_psbt",
    "decode_safe",
    "safe_tx_hash",
    "verify",
]
