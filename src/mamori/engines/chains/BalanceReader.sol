// SPDX-License-Identifier: Apache-2.0
// mamori's balance reader (ISM 34-1 reconciliation). Never deployed: the EVM adapter places
// its runtime code at a fixed address for one eth_call through the call's state override, so
// one call reads the balances of many holders at the pinned block.
pragma solidity 0.8.37;

contract BalanceReader {
    /// Native balances when token is the zero address, else ERC-20 balanceOf; a holder whose
    /// token call fails or answers less than 32 bytes gets type(uint256).max, and the adapter
    /// asks again for that holder alone to learn why.
    function balances(address token, address[] calldata holders)
        external
        view
        returns (uint256[] memory out)
    {
        out = new uint256[](holders.length);
        for (uint256 i = 0; i < holders.length; i++) {
            if (token == address(0)) {
                out[i] = holders[i].balance;
            } else {
                (bool ok, bytes memory data) =
                    token.staticcall(abi.encodeWithSelector(0x70a08231, holders[i]));
                out[i] = (ok && data.length >= 32) ? abi.decode(data, (uint256)) : type(uint256).max;
            }
        }
    }
}
