"""Transactions and policies for the pre-sign tests, built with the libraries signers use:
PSBTs with embit from the BIP-32 test vector 1 seed, EVM transactions signed with eth-account.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import rlp
from embit import bip32
from embit.networks import NETWORKS
from embit.psbt import PSBT, DerivationPath
from embit.script import address_to_scriptpubkey, p2wpkh
from embit.transaction import Transaction, TransactionInput, TransactionOutput
from eth_account import Account
from eth_utils import to_checksum_address

from mamori.engines.presign import (
    EvmTransaction,
    FeePolicy,
    IntentState,
    Psbt,
    SafePolicy,
    WalletPolicy,
    WithdrawalIntent,
)

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)

# BIP-32 test vector 1 (seed 000102…0f); the wallet's BIP-84 keys on regtest
ROOT = bip32.HDKey.from_seed(bytes(range(16)))
NET = NETWORKS["regtest"]


def btc_address(change: int, index: int) -> str:
    key = ROOT.derive(f"m/84h/1h/0h/{change}/{index}")
    return str(p2wpkh(key.get_public_key()).address(NET))


RECEIVE = [btc_address(0, n) for n in range(3)]
CHANGE = btc_address(1, 0)
# someone else's wallet: a different seed
OTHER = bip32.HDKey.from_seed(bytes(range(16, 32)))
CUSTOMER = str(p2wpkh(OTHER.derive("m/84h/1h/0h/0/0").get_public_key()).address(NET))
ATTACKER = str(p2wpkh(OTHER.derive("m/84h/1h/0h/0/7").get_public_key()).address(NET))

BTC_POLICY = WalletPolicy(
    chain="bitcoin-regtest",
    native_asset="BTC",
    own_addresses=frozenset([*RECEIVE, CHANGE]),
    fee=FeePolicy(max_fee=50_000, max_fee_rate=100),
    network="regtest",
)


def btc_intent(
    amount: int = 40_000_000, destination: str = CUSTOMER, id: str = "w-btc-1"
) -> WithdrawalIntent:
    return WithdrawalIntent(
        id=id,
        asset="BTC",
        chain="bitcoin-regtest",
        destination=destination,
        amount=amount,
        expires_at=LATER,
        approvals=("alice", "bob"),
    )


def psbt(
    outputs: list[tuple[str, int]],
    inputs: tuple[int, ...] = (100_000_000,),
    *,
    utxo: bool = True,
    full: bool = False,
) -> Psbt:
    """Return an unsigned PSBT spending ``inputs`` (amounts, from our receive addresses)."""
    funding = Transaction(
        vin=[TransactionInput(bytes(32), 0)],
        vout=[
            TransactionOutput(amount, address_to_scriptpubkey(RECEIVE[n % 3]))
            for n, amount in enumerate(inputs)
        ],
    )
    tx = Transaction(
        vin=[TransactionInput(funding.txid(), n) for n in range(len(inputs))],
        vout=[TransactionOutput(value, address_to_scriptpubkey(to)) for to, value in outputs],
    )
    made = PSBT(tx)
    for n, inp in enumerate(made.inputs):
        if utxo:
            inp.witness_utxo = funding.vout[n]
        if full:
            inp.non_witness_utxo = funding
        path = f"m/84h/1h/0h/0/{n % 3}"  # so that a signer holding ROOT can sign it
        pub = ROOT.derive(path).get_public_key()
        inp.bip32_derivations[pub] = DerivationPath(ROOT.my_fingerprint, bip32.parse_path(path))
    return Psbt(made.to_string())


def good_psbt() -> Psbt:
    """Pay 0.4 BTC to the customer, 0.5999 BTC back to our change: fee 10,000 sat."""
    return psbt([(CUSTOMER, 40_000_000), (CHANGE, 59_990_000)])


# EVM: the well-known eth-account documentation key is the hot wallet
KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
HOT = Account.from_key(KEY).address
SAFE = "0x1111111111111111111111111111111111111111"
USDC = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
FAKE_USDC = to_checksum_address("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB49")
USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
MULTISEND = "0x40A2aCCbd92BCA938b02010E17A5b8929b49130D"
SIGN_MESSAGE_LIB = "0xA65387F16B013cf2Af4605Ad8aA5ec25a2cbA3a2"
DEST = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
EVIL = "0xbDd077f651EBe7f7b3cE16fe5F2b025BE2969516"

EVM_POLICY = WalletPolicy(
    chain="ethereum",
    native_asset="ETH",
    own_addresses=frozenset([HOT, SAFE]),
    fee=FeePolicy(max_fee=10**16, max_fee_rate=200 * 10**9),
    chain_id=1,
    token_contracts=(("USDC", USDC), ("USDT", USDT)),
    safe=SafePolicy(
        address=SAFE,
        chain_id=1,
        delegatecall_allowlist=frozenset([MULTISEND, SIGN_MESSAGE_LIB]),
        multisend=frozenset([MULTISEND]),
    ),
)


def evm_intent(
    asset: str = "ETH",
    amount: int = 3 * 10**18,
    destination: str = DEST,
    id: str = "w-eth-1",
    state: IntentState = IntentState.APPROVED,
    expires_at: datetime = LATER,
) -> WithdrawalIntent:
    return WithdrawalIntent(
        id=id,
        asset=asset,
        chain="ethereum",
        destination=destination,
        amount=amount,
        expires_at=expires_at,
        state=state,
        token_contract=USDC if asset == "USDC" else None,
        approvals=("alice", "bob"),
    )


def erc20_transfer(to: str, amount: int) -> bytes:
    from eth_abi import encode

    return bytes.fromhex("a9059cbb") + encode(["address", "uint256"], [to, amount])


def evm_tx(kind: int = 2, signed: bool = True, **fields: object) -> EvmTransaction:
    """Return an EVM transaction of ``kind`` (0 legacy, 1, 2) paying 3 ETH to DEST."""
    tx: dict[str, object] = {
        "nonce": 7,
        "gas": 21_000,
        "to": DEST,
        "value": 3 * 10**18,
        "data": b"",
        "chainId": 1,
    }
    if kind == 2:
        tx |= {"type": 2, "maxFeePerGas": 30 * 10**9, "maxPriorityFeePerGas": 10**9}
    else:
        tx |= {"gasPrice": 30 * 10**9}
        if kind == 1:
            tx |= {"type": 1, "accessList": []}
    tx |= fields
    raw = bytes(Account.sign_transaction(tx, KEY).raw_transaction)
    if signed:
        return EvmTransaction(raw)
    return EvmTransaction(unsigned(raw))


def unsigned(raw: bytes) -> bytes:
    """Return the unsigned serialisation of a signed transaction (EIP-155 form for legacy)."""
    if raw[0] in (1, 2):
        items = rlp.decode(raw[1:])
        return raw[:1] + rlp.encode(items[:-3])
    items = rlp.decode(raw)
    v = int.from_bytes(items[6], "big")
    chain_id = (v - 35) // 2
    return rlp.encode([*items[:6], chain_id.to_bytes(1, "big"), b"", b""])
