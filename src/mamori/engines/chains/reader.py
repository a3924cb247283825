"""The balance reader: one ``eth_call`` reads the balances of many holders (ISM 34-1).

``RUNTIME`` is the runtime bytecode of ``BalanceReader.sol`` beside this file, compiled by the
npm ``solc`` 0.8.37 pinned in ``package.json`` (optimiser on, 200 runs); a test recompiles the
source and compares. It is never deployed: the call's state override (the third parameter of
``eth_call``, supported by geth, Erigon, Reth, Nethermind and anvil) places it at
:data:`ADDRESS` for that one call, at the pinned block.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils.crypto import keccak

__all__ = ["ADDRESS", "FAILED", "RUNTIME", "SELECTOR", "decode", "encode"]

ADDRESS = "0x000000000000000000000000006d616d6f726931"  # "mamori1"
SELECTOR = keccak(text="balances(address,address[])")[:4].hex()
FAILED = 2**256 - 1  # a holder whose token call failed; asked again alone
RUNTIME = "0x" + (
    "608060405234801561000f575f5ffd5b5060043610610029575f3560e01c8063d3e5ca871461002d575b5f5f"
    "fd5b61004061003b36600461024c565b610056565b60405161004d91906102cd565b60405180910390f35b60"
    "608167ffffffffffffffff8111156100715761007161030f565b604051908082528060200260200182016040"
    "52801561009a578160200160208202803683370190505b5090505f5b82811015610229576001600160a01b03"
    "8516610109578383828181106100c7576100c7610323565b90506020020160208101906100dc919061033756"
    "5b6001600160a01b0316318282815181106100f8576100f8610323565b602002602001018181525050610221"
    "565b5f5f866001600160a01b03166370a0823187878681811061012c5761012c610323565b90506020020160"
    "208101906101419190610337565b6040516001600160a01b0390911660248201526044016040516020818303"
    "038152906040529060e01b6020820180516001600160e01b0383818316178352505050506040516101909190"
    "610357565b5f60405180830381855afa9150503d805f81146101c8576040519150601f19603f3d0116820160"
    "40523d82523d5f602084013e6101cd565b606091505b50915091508180156101e157506020815110155b6101"
    "ec575f19610200565b80806020019051810190610200919061036d565b848481518110610212576102126103"
    "23565b60200260200101818152505050505b60010161009f565b509392505050565b80356001600160a01b03"
    "81168114610247575f5ffd5b919050565b5f5f5f6040848603121561025e575f5ffd5b61026784610231565b"
    "9250602084013567ffffffffffffffff811115610282575f5ffd5b8401601f81018613610292575f5ffd5b80"
    "3567ffffffffffffffff8111156102a8575f5ffd5b8660208260051b84010111156102bc575f5ffd5b939660"
    "209190910195509293505050565b602080825282518282018190525f918401906040840190835b8181101561"
    "03045783518352602093840193909201916001016102e6565b509095945050505050565b634e487b7160e01b"
    "5f52604160045260245ffd5b634e487b7160e01b5f52603260045260245ffd5b5f6020828403121561034757"
    "5f5ffd5b61035082610231565b9392505050565b5f82518060208501845e5f920191825250919050565b5f60"
    "20828403121561037d575f5ffd5b505191905056fea2646970667358221220c04d38f15cb73871e78f0e554a"
    "f4ff6c3ec28ec2e2a6861aa5c45a9d3a18aa9364736f6c63430008250033"
)


def encode(token: str | None, holders: Sequence[str]) -> str:
    """Return the call data of balances(token, holders) (ABI: head, offset, length,
    elements)."""
    words = [int(token, 16) if token else 0, 0x40, len(holders)]
    words += [int(holder, 16) for holder in holders]
    return "0x" + SELECTOR + "".join(f"{word:064x}" for word in words)


def decode(data: str, count: int) -> list[int]:
    """Return the uint256[] of count elements the call answered; ValueError when
    the answer has another shape."""
    raw = bytes.fromhex(data[2:] if data.startswith("0x") else data)
    if len(raw) != 64 + 32 * count:
        raise ValueError(
            f"expected {count} balances ({64 + 32 * count} bytes), got {len(raw)} bytes"
        )
    if int.from_bytes(raw[:32], "big") != 0x20 or int.from_bytes(raw[32:64], "big") != count:
        raise ValueError("the answer is not an array of the holders' balances")
    return [int.from_bytes(raw[64 + 32 * n : 96 + 32 * n], "big") for n in range(count)]
