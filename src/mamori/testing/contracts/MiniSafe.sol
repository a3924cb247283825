// SPDX-License-Identifier: Apache-2.0
// Test contracts for mamori's pre-sign tests (ISM 29-1-4), not for any real chain: a small
// multisig that signs and executes transactions the way a Safe (1.3.0) does, and a contract
// that, run by delegatecall, overwrites its caller's slot 0 as the Bybit attacker's did.
pragma solidity ^0.8.20;

/// A Safe-like multisig: owners and a threshold; a transaction runs once `threshold` owners
/// have signed its EIP-712 `SafeTx` hash (Safe's type; the domain of Safe 1.3.0 — chain id and
/// address — or, with `legacyDomain`, of Safe 1.0.0 to 1.2.0 — the address alone, as Bybit's
/// 1.1.1 Safe). Like a Safe proxy, storage slot 0 holds the singleton (master copy) address,
/// so a delegatecall can replace it.
contract MiniSafe {
    address internal singleton; // slot 0, as in a Safe proxy
    mapping(address => bool) public isOwner;
    address[] internal ownerList;
    uint256 public threshold;
    uint256 public nonce;
    bool public immutable legacyDomain;

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(uint256 chainId,address verifyingContract)");
    bytes32 internal constant LEGACY_DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(address verifyingContract)");
    bytes32 internal constant SAFE_TX_TYPEHASH = keccak256(
        "SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,"
        "uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)"
    );

    event ExecutionSuccess(bytes32 indexed txHash);

    constructor(
        address[] memory owners,
        uint256 _threshold,
        address _singleton,
        bool _legacyDomain
    ) payable {
        require(_threshold > 0 && _threshold <= owners.length, "MiniSafe: bad threshold");
        for (uint256 i = 0; i < owners.length; i++) {
            address owner = owners[i];
            require(owner != address(0) && !isOwner[owner], "MiniSafe: bad owner");
            isOwner[owner] = true;
            ownerList.push(owner);
        }
        threshold = _threshold;
        singleton = _singleton;
        legacyDomain = _legacyDomain;
    }

    receive() external payable {}

    function getOwners() external view returns (address[] memory) {
        return ownerList;
    }

    function domainSeparator() public view returns (bytes32) {
        if (legacyDomain) {
            return keccak256(abi.encode(LEGACY_DOMAIN_TYPEHASH, address(this)));
        }
        return keccak256(abi.encode(DOMAIN_TYPEHASH, block.chainid, address(this)));
    }

    /// The hash the owners sign: keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(SafeTx)).
    function getTransactionHash(
        address to,
        uint256 value,
        bytes calldata data,
        uint8 operation,
        uint256 safeTxGas,
        uint256 baseGas,
        uint256 gasPrice,
        address gasToken,
        address refundReceiver,
        uint256 _nonce
    ) public view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                SAFE_TX_TYPEHASH,
                to,
                value,
                keccak256(data),
                operation,
                safeTxGas,
                baseGas,
                gasPrice,
                gasToken,
                refundReceiver,
                _nonce
            )
        );
        return keccak256(abi.encodePacked(bytes1(0x19), bytes1(0x01), domainSeparator(), structHash));
    }

    /// Check `threshold` signatures over `dataHash`: 65 bytes each (r, s, v with v 27 or 28),
    /// from distinct owners in ascending address order.
    function checkSignatures(bytes32 dataHash, bytes calldata signatures) public view {
        uint256 needed = threshold;
        require(signatures.length >= needed * 65, "MiniSafe: too few signatures");
        address last = address(0);
        for (uint256 i = 0; i < needed; i++) {
            bytes32 r = bytes32(signatures[i * 65:i * 65 + 32]);
            bytes32 s = bytes32(signatures[i * 65 + 32:i * 65 + 64]);
            uint8 v = uint8(signatures[i * 65 + 64]);
            require(v == 27 || v == 28, "MiniSafe: unsupported signature type");
            address signer = ecrecover(dataHash, v, r, s);
            require(signer > last, "MiniSafe: signers not ascending or duplicated");
            require(isOwner[signer], "MiniSafe: signer is not an owner");
            last = signer;
        }
    }

    /// Run a transaction signed by `threshold` owners: a call (operation 0) or a delegatecall
    /// (operation 1). Refunds are not implemented, so `gasPrice` must be 0.
    function execTransaction(
        address to,
        uint256 value,
        bytes calldata data,
        uint8 operation,
        uint256 safeTxGas,
        uint256 baseGas,
        uint256 gasPrice,
        address gasToken,
        address payable refundReceiver,
        bytes calldata signatures
    ) external payable returns (bool success) {
        require(operation <= 1, "MiniSafe: bad operation");
        require(gasPrice == 0, "MiniSafe: refunds are not supported");
        bytes32 txHash = getTransactionHash(
            to, value, data, operation, safeTxGas, baseGas, gasPrice, gasToken, refundReceiver, nonce
        );
        nonce++;
        checkSignatures(txHash, signatures);
        if (operation == 0) {
            (success, ) = to.call{value: value}(data);
        } else {
            (success, ) = to.delegatecall(data);
        }
        require(success, "MiniSafe: the transaction failed");
        emit ExecutionSuccess(txHash);
    }
}

/// What a Bybit-like attacker's contract does: its `transfer(address,uint256)` looks like an
/// ERC-20 transfer but stores the address in slot 0 — run by delegatecall from a Safe, it
/// replaces the Safe's singleton with the attacker's.
contract SlotZeroWriter {
    address internal slot0;

    function transfer(address to, uint256) external returns (bool) {
        slot0 = to;
        return true;
    }
}

/// A batch of calls for a Safe to delegatecall, packed as Safe's MultiSend packs them: per
/// call operation (1 byte), to (20), value (32), data length (32), data. Each nested call runs
/// in the Safe's context — a nested delegatecall too, so each must be checked before signing.
contract MiniMultiSend {
    address private immutable self;

    constructor() {
        self = address(this);
    }

    function multiSend(bytes calldata transactions) external payable {
        require(address(this) != self, "MiniMultiSend: only by delegatecall");
        uint256 at = 0;
        while (at < transactions.length) {
            uint8 operation = uint8(transactions[at]);
            address to = address(bytes20(transactions[at + 1:at + 21]));
            uint256 value = uint256(bytes32(transactions[at + 21:at + 53]));
            uint256 length = uint256(bytes32(transactions[at + 53:at + 85]));
            bytes calldata data = transactions[at + 85:at + 85 + length];
            bool success;
            if (operation == 0) {
                (success, ) = to.call{value: value}(data);
            } else {
                (success, ) = to.delegatecall(data);
            }
            require(success, "MiniMultiSend: a call failed");
            at += 85 + length;
        }
    }
}
