// SPDX-License-Identifier: Apache-2.0
// Test contracts for mamori's reconciliation tests and benchmark (not for any real chain).
pragma solidity ^0.8.20;

/// A minimal ERC-20 balance ledger: balanceOf, transfer, and a bulk mint for test set-up.
contract TestToken {
    mapping(address => uint256) public balanceOf;
    uint256 public totalSupply;
    address public immutable owner;

    event Transfer(address indexed from, address indexed to, uint256 value);

    constructor() {
        owner = msg.sender;
    }

    function mintMany(address[] calldata to, uint256[] calldata amounts) external {
        require(msg.sender == owner, "only the owner mints");
        require(to.length == amounts.length, "lengths differ");
        for (uint256 i = 0; i < to.length; i++) {
            balanceOf[to[i]] += amounts[i];
            totalSupply += amounts[i];
            emit Transfer(address(0), to[i], amounts[i]);
        }
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        require(balanceOf[msg.sender] >= amount, "balance too low");
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
        emit Transfer(msg.sender, to, amount);
        return true;
    }
}

/// A token whose balanceOf always reverts (a paused or broken contract).
contract RevertingToken {
    function balanceOf(address) external pure returns (uint256) {
        revert("balanceOf is frozen");
    }
}
