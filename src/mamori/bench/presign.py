"""Pre-sign verification benchmark (ISM 29-1-4): verifications per second and p99 latency.

Three transactions, each verified ``--calls`` times against its approved withdrawal with
:func:`mamori.engines.presign.verify`: a PSBT (two P2WPKH inputs of the BIP-32 test vector 1
wallet, a payment and change, built with embit), a signed EIP-1559 ERC-20 transfer (signed
with eth-account) and a Safe ERC-20 transfer with the hash its owners sign.

The baseline is the naive way, per call, through the libraries' general paths:
- PSBT: embit's ``PSBT.from_string``, ``PSBT.fee()`` and each script's address, the wallet's
  addresses as a list;
- EVM: eth-account's ``TypedTransaction.from_bytes`` (its hash) and
  ``Account.recover_transaction`` (the sender), eth-abi for the calldata;
- Safe: the ``SafeTx`` hash by eth-account's ``encode_typed_data`` from Safe's type
  definition, eth-abi for the calldata.
Both ways must read the same hash, sender and transfer. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from embit import bip32
from embit.networks import NETWORKS
from embit.psbt import PSBT
from embit.script import address_to_scriptpubkey, p2wpkh
from embit.transaction import Transaction, TransactionInput, TransactionOutput
from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes

from mamori.engines import presign

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
USDC = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"
DEST = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
SAFE = "0x1111111111111111111111111111111111111111"
ZERO = "0x" + "00" * 20
NET = NETWORKS["regtest"]
SAFE_TX_FIELDS = [
    ("to", "address"),
    ("value", "uint256"),
    ("data", "bytes"),
    ("operation", "uint8"),
    ("safeTxGas", "uint256"),
    ("baseGas", "uint256"),
    ("gasPrice", "uint256"),
    ("gasToken", "address"),
    ("refundReceiver", "address"),
    ("nonce", "uint256"),
]

Case = tuple[presign.Transaction, presign.WalletPolicy, presign.WithdrawalIntent]
Read = tuple[str | None, list[tuple[str, int]]]


def _intent(asset: str, chain: str, destination: str, amount: int) -> presign.WithdrawalIntent:
    later = NOW + timedelta(hours=1)
    return presign.WithdrawalIntent("w-1", asset, chain, destination, amount, later)


def _psbt_case() -> Case:
    root = bip32.HDKey.from_seed(bytes(range(16)))
    ours = [
        str(p2wpkh(root.derive(f"m/84h/1h/0h/{c}/{n}").get_public_key()).address(NET))
        for c in (0, 1)
        for n in range(20)
    ]
    other = bip32.HDKey.from_seed(bytes(range(16, 32))).derive("m/84h/1h/0h/0/0")
    customer = str(p2wpkh(other.get_public_key()).address(NET))
    funding = Transaction(
        vin=[TransactionInput(bytes(32), 0)],
        vout=[TransactionOutput(60_000_000, address_to_scriptpubkey(a)) for a in ours[:2]],
    )
    spend = Transaction(
        vin=[TransactionInput(funding.txid(), n) for n in range(2)],
        vout=[
            TransactionOutput(100_000_000, address_to_scriptpubkey(customer)),
            TransactionOutput(19_990_000, address_to_scriptpubkey(ours[20])),
        ],
    )
    made = PSBT(spend)
    for n, inp in enumerate(made.inputs):
        inp.witness_utxo = funding.vout[n]
    policy = presign.WalletPolicy(
        "bitcoin-regtest",
        "BTC",
        frozenset(ours),
        presign.FeePolicy(50_000, 100),
        network="regtest",
    )
    intent = _intent("BTC", "bitcoin-regtest", customer, 100_000_000)
    return presign.Psbt(made.to_string()), policy, intent


def _transfer_data(amount: int) -> bytes:
    return bytes.fromhex("a9059cbb") + abi_encode(["address", "uint256"], [DEST, amount])


def _evm_policy() -> presign.WalletPolicy:
    hot = Account.from_key(KEY).address
    safe = presign.SafePolicy(SAFE, 1)
    return presign.WalletPolicy(
        "ethereum",
        "ETH",
        frozenset([hot, SAFE]),
        presign.FeePolicy(10**16, 200 * 10**9),
        chain_id=1,
        token_contracts=(("USDC", USDC),),
        safe=safe,
    )


def _evm_case() -> Case:
    tx = {
        "type": 2,
        "chainId": 1,
        "nonce": 7,
        "gas": 60_000,
        "maxFeePerGas": 30 * 10**9,
        "maxPriorityFeePerGas": 10**9,
        "to": to_checksum_address(USDC),
        "value": 0,
        "data": _transfer_data(1_500_000),
    }
    raw = bytes(Account.sign_transaction(tx, KEY).raw_transaction)
    intent = _intent("USDC", "ethereum", DEST, 1_500_000)
    return presign.EvmTransaction(raw), _evm_policy(), intent


def _safe_message(tx: presign.SafeTransaction) -> dict[str, Any]:
    values: tuple[object, ...] = (tx.to, tx.value, tx.data, tx.operation, tx.safe_tx_gas)
    values += (tx.base_gas, tx.gas_price, tx.gas_token, tx.refund_receiver, tx.nonce)
    return {
        "types": {
            "EIP712Domain": [
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "SafeTx": [{"name": n, "type": t} for n, t in SAFE_TX_FIELDS],
        },
        "primaryType": "SafeTx",
        "domain": {"chainId": 1, "verifyingContract": SAFE},
        "message": {name: value for (name, _), value in zip(SAFE_TX_FIELDS, values, strict=True)},
    }


def _safe_hash(tx: presign.SafeTransaction) -> bytes:
    return bytes(_hash_eip191_message(encode_typed_data(full_message=_safe_message(tx))))


def _safe_case() -> Case:
    data = _transfer_data(2_000_000)
    tx = presign.SafeTransaction(USDC, 0, data, 0, 0, 0, 0, ZERO, ZERO, 42, bytes(32))
    tx = presign.SafeTransaction(USDC, 0, data, 0, 0, 0, 0, ZERO, ZERO, 42, _safe_hash(tx))
    return tx, _evm_policy(), _intent("USDC", "ethereum", DEST, 2_000_000)


def _naive_psbt(case: Case) -> Read:
    tx, policy, _ = case
    assert isinstance(tx, presign.Psbt)
    psbt = PSBT.from_string(tx.data)
    own = list(policy.own_addresses)
    for inp in psbt.inputs:
        if inp.witness_utxo.script_pubkey.address(NET) not in own:
            return None, []
    if psbt.fee() > 50_000:
        return None, []
    paid = [
        (out.script_pubkey.address(NET), out.value)
        for out in psbt.tx.vout
        if out.script_pubkey.address(NET) not in own
    ]
    return psbt.tx.txid().hex(), paid


def _naive_evm(case: Case) -> Read:
    tx, policy, _ = case
    assert isinstance(tx, presign.EvmTransaction)
    typed = TypedTransaction.from_bytes(HexBytes(tx.raw))
    fields = typed.as_dict()
    sender = Account.recover_transaction(tx.raw)
    if sender not in policy.own_addresses or fields["chainId"] != 1:
        return None, []
    recipient, amount = abi_decode(["address", "uint256"], bytes(fields["data"])[4:])
    return "0x" + typed.hash().hex(), [(recipient.lower(), amount)]


def _naive_safe(case: Case) -> Read:
    tx, _, _ = case
    assert isinstance(tx, presign.SafeTransaction)
    if _safe_hash(tx) != tx.shown_hash or tx.operation != 0:
        return None, []
    recipient, amount = abi_decode(["address", "uint256"], tx.data[4:])
    return "0x" + tx.shown_hash.hex(), [(recipient.lower(), amount)]


def _ours(case: Case) -> Read:
    tx, policy, intent = case
    verdict = presign.verify(tx, (intent,), policy, (), (), NOW)
    if verdict.decision is not presign.Decision.SIGN:
        raise SystemExit(f"the benchmark's transaction was refused: {verdict.reasons}")
    return verdict.tx_hash, [(t.recipient, t.amount) for t in verdict.transfers]


def _time(calls: int, run: Callable[[Case], Read], case: Case) -> tuple[float, float, float, Read]:
    read = run(case)  # warm-up, and what it reads
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        run(case)
        samples.append(time.perf_counter() - started)
    p99 = statistics.quantiles(samples, n=100)[98] if len(samples) >= 100 else max(samples)
    return calls / sum(samples), statistics.median(samples) * 1000, p99 * 1000, read


def main(argv: list[str]) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m mamori.bench presign")
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--baseline-calls", type=int, default=2_000)
    options = parser.parse_args(argv)
    figures: dict[str, object] = {"bench": "presign", "calls": options.calls}
    identical = True
    kinds = {
        "psbt": (_psbt_case(), _naive_psbt),
        "evm": (_evm_case(), _naive_evm),
        "safe": (_safe_case(), _naive_safe),
    }
    for kind, (case, naive) in kinds.items():
        per_s, p50, p99, read = _time(options.calls, _ours, case)
        base_per_s, _, base_p99, base_read = _time(options.baseline_calls, naive, case)
        identical = identical and read == base_read
        print(
            f"{kind}: {per_s:,.0f} verifications/s (p50 {p50:.3f} ms, p99 {p99:.3f} ms); "
            f"naive {base_per_s:,.0f}/s (p99 {base_p99:.3f} ms)",
            flush=True,
        )
        figures |= {
            f"{kind}_per_s": round(per_s),
            f"{kind}_p50_ms": round(p50, 4),
            f"{kind}_p99_ms": round(p99, 4),
            f"baseline_{kind}_per_s": round(base_per_s),
            f"baseline_{kind}_p99_ms": round(base_p99, 4),
            f"ratio_{kind}": round(per_s / base_per_s, 2),
        }
    figures["baseline"] = "embit PSBT API; eth-account from_bytes + recover; encode_typed_data"
    figures["identical"] = identical
    print(json.dumps(figures))
    return 0 if identical else 1
