"""Decode a Bitcoin PSBT (BIP-174, version 0) before it is signed (ISM 29-1-4), with embit.

- every input spends one of the wallet's own addresses, and its amount is known: from
  ``witness_utxo`` or ``non_witness_utxo`` (whose txid must be the input's, and which must
  agree with ``witness_utxo`` when both are given); an input without either is refused, since
  the fee could not be known;
- every input signs with ``SIGHASH_ALL`` (or taproot's default): other sighash types let
  someone else change the outputs after we sign;
- an output to one of our own addresses is change; every other output is a transfer to match;
- the fee, inputs − outputs, is within the policy, absolute and per virtual byte (the size
  estimated from the unsigned transaction and each input's expected witness).

The hash that would be signed is reported as the transaction id of the unsigned transaction.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io

from embit.networks import NETWORKS
from embit.psbt import PSBT, InputScope
from embit.script import Script, address_to_scriptpubkey
from embit.transaction import TransactionOutput

from mamori.engines.presign.common import malformed, normalise, refused
from mamori.engines.presign.values import (
    Code,
    Decoded,
    Psbt,
    Reason,
    Transfer,
    WalletPolicy,
)

__all__ = ["decode_psbt"]

_MAGIC = b"psbt\xff"
_SIGHASH_DEFAULT, _SIGHASH_ALL = 0, 1
#: expected witness weight of one input's signature data, by the script it spends
_WITNESS_WEIGHT = {"p2wpkh": 108, "p2tr": 66}
_SCRIPTSIG_WEIGHT = {"p2pkh": 4 * 107, "p2sh": 4 * 23}


def _raw(data: object) -> bytes:
    if isinstance(data, bytes) and data.startswith(_MAGIC):
        return data
    if isinstance(data, bytes):
        data = data.decode("ascii")
    if not isinstance(data, str):
        raise ValueError("the PSBT is neither bytes nor base64 text")
    return base64.b64decode(data.strip(), validate=True)


def _parse(data: object) -> PSBT:
    stream = io.BytesIO(_raw(data))
    psbt = PSBT.read_from(stream)
    if stream.read(1):
        raise ValueError("bytes follow the PSBT")
    if psbt.version not in (None, 0):
        raise ValueError(f"PSBT version {psbt.version} is not supported")
    if psbt.tx_version is None or not psbt.inputs or not psbt.outputs:
        raise ValueError("the PSBT holds no unsigned transaction with inputs and outputs")
    return psbt


def _address(script: Script, network: dict[str, object]) -> str:
    try:
        return normalise(str(script.address(network)))
    except ValueError:
        return "script:" + bytes(script.data).hex()


@functools.lru_cache(maxsize=256)
def _own_scripts(own_addresses: frozenset[str]) -> frozenset[bytes]:
    """Return the scriptPubKeys of the wallet's addresses (once per policy): inputs and
    change are recognised by script, without encoding each one as an address."""
    scripts = set()
    for address in own_addresses:
        try:
            scripts.add(bytes(address_to_scriptpubkey(address).data))
        except Exception:  # noqa: S112 - an address embit cannot read is no script of ours
            continue
    return frozenset(scripts)


def _utxo(number: int, inp: InputScope) -> TransactionOutput | Reason:
    spent = inp.witness_utxo
    if inp.non_witness_utxo is not None:
        if inp.non_witness_utxo.txid() != inp.txid or inp.vout >= len(inp.non_witness_utxo.vout):
            raise ValueError(f"input {number}: non_witness_utxo is not the transaction spent")
        full = inp.non_witness_utxo.vout[inp.vout]
        if spent is not None and (spent.value, spent.script_pubkey) != (
            full.value,
            full.script_pubkey,
        ):
            raise ValueError(f"input {number}: witness_utxo and non_witness_utxo disagree")
        spent = full
    if spent is None:
        return refused(
            Code.INPUT_AMOUNT_UNKNOWN,
            f"input {number} gives neither witness_utxo nor non_witness_utxo: its amount, and "
            "so the fee, is unknown",
        )
    return spent


def _witness_weight(inp: InputScope, kind: str | None) -> int:
    if kind == "p2wsh" and inp.witness_script is not None:
        script = bytes(inp.witness_script.data)
        signatures = script[0] - 0x50 if script and 0x51 <= script[0] <= 0x60 else 1
        return 2 + 73 * signatures + 3 + len(script)
    return _WITNESS_WEIGHT.get(kind or "", 0) + _SCRIPTSIG_WEIGHT.get(kind or "", 0)


def _fee_reasons(fee: int, vsize: int, policy: WalletPolicy) -> list[Reason]:
    reasons: list[Reason] = []
    limit, rate = policy.fee.max_fee, policy.fee.max_fee_rate
    if limit is not None and fee > limit:
        reasons.append(refused(Code.FEE_TOO_HIGH, "the fee is above the fee policy", limit, fee))
    if rate is not None and fee > rate * vsize:
        reasons.append(
            refused(
                Code.FEE_TOO_HIGH,
                f"the fee rate is above the fee policy (estimated {vsize} vB)",
                f"≤ {rate} sat/vB",
                f"{fee / vsize:.1f} sat/vB",
            )
        )
    return reasons


def _decode(tx: Psbt, policy: WalletPolicy) -> Decoded:
    network = NETWORKS.get(policy.network)
    if network is None:
        return malformed(f"the wallet policy names an unknown Bitcoin network {policy.network!r}")
    try:
        psbt = _parse(tx.data)
        unsigned = psbt.tx
        tx_hash = unsigned.txid().hex()
    except (ValueError, binascii.Error, EOFError) as error:
        return malformed(f"the PSBT cannot be read: {error}")
    own = _own_scripts(policy.own_addresses)
    reasons: list[Reason] = []
    total_in, weight = 0, 4 * len(unsigned.serialize()) + 2
    for number, inp in enumerate(psbt.inputs):
        spent = _utxo(number, inp)
        if isinstance(spent, Reason):
            reasons.append(spent)
            continue
        total_in += spent.value
        weight += _witness_weight(inp, spent.script_pubkey.script_type())
        if bytes(spent.script_pubkey.data) not in own:
            reasons.append(
                refused(
                    Code.INPUT_NOT_OURS,
                    f"input {number} spends from an address that is not the wallet's",
                    "one of the wallet's own addresses",
                    _address(spent.script_pubkey, network),
                )
            )
        if inp.sighash_type not in (None, _SIGHASH_ALL, _SIGHASH_DEFAULT):
            reasons.append(
                refused(
                    Code.SIGHASH_NOT_ALLOWED,
                    f"input {number} would be signed with a sighash other than ALL",
                    _SIGHASH_ALL,
                    inp.sighash_type,
                )
            )
    transfers: list[Transfer] = []
    total_out = 0
    for out in unsigned.vout:
        total_out += out.value
        if bytes(out.script_pubkey.data) not in own:
            address = _address(out.script_pubkey, network)
            transfers.append(Transfer(policy.native_asset, address, out.value))
    if any(r.code is Code.INPUT_AMOUNT_UNKNOWN for r in reasons):
        return Decoded(tuple(transfers), tx_hash, tuple(reasons))
    fee = total_in - total_out
    if fee < 0:
        return malformed(f"the outputs ({total_out}) exceed the inputs ({total_in})", tx_hash)
    reasons += _fee_reasons(fee, (weight + 3) // 4, policy)
    return Decoded(tuple(transfers), tx_hash, tuple(reasons), fee)


def decode_psbt(tx: Psbt, policy: WalletPolicy) -> Decoded:
    """Return the transfers a PSBT makes (change left out), its txid, fee and any refusal.

    Never raises: anything unreadable is a ``malformed_transaction`` refusal (ISM 29-1-4).
    """
    try:
        return _decode(tx, policy)
    except Exception as error:  # embit raises many kinds on bad input: none may escape
        return malformed(f"the PSBT cannot be read: {type(error).__name__}: {error}")
