"""A ceremony's output verified from public data only (ISM 28-1-2, 28-2-1/2/4/5): addresses
derived from extended public keys and public keys match the registered ones, a SLIP-39 share
set shows the registered scheme, and a generation tool's BIP-39 passes published vectors."""

from __future__ import annotations

import os

import pytest
import shamir_mnemonic
from embit import bip32
from embit.descriptor import Descriptor

from mamori.engines.keys import (
    AddressError,
    Bip39Vector,
    ShareError,
    ShareScheme,
    bip39_checksum_ok,
    btc_address,
    check_bip39_vectors,
    check_btc_addresses,
    check_evm_address,
    check_multisig_addresses,
    check_share_set,
    evm_address,
    multisig_address,
    share_set_parameters,
)

# BIP-84 test vectors (bitcoin/bips, bip-0084.mediawiki): mnemonic "abandon ×11 about",
# account 0 = m/84'/0'/0'
BIP84_ZPUB = (
    "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mG"
    "DtKsAYz2oz2AGutZYs"
)
BIP84_ADDRESSES = {
    "0/0": "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu",
    "0/1": "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g",
    "1/0": "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el",
}
# BIP-49 test vector (bip-0049.mediawiki, testnet): account 0 = m/49'/1'/0'
BIP49_UPUB = (
    "upub5EFU65HtV5TeiSHmZZm7FUffBGy8UKeqp7vw43jYbvZPpoVsgU93oac7Wk3u6moKegAEWtGNF8DehrnHtv21XXEMY"
    "RUocHqguyjknFHYfgY"
)
# SLIP-132 test vectors (satoshilabs/slips, slip-0132.md), same mnemonic: BIP-44 and BIP-49
SLIP132_XPUB = (
    "xpub6BosfCnifzxcFwrSzQiqu2DBVTshkCXacvNsWGYJVVhhawA7d4R5WSWGFNbi8Aw6ZRc1brxMyWMzG3DSSSSoekkud"
    "hUd9yLb6qx39T9nMdj"
)
SLIP132_YPUB = (
    "ypub6Ww3ibxVfGzLrAH1PNcjyAWenMTbbAosGNB6VvmSEgytSER9azLDWCxoJwW7Ke7icmizBMXrzBx9979FfaHxHcrAr"
    "f3zbeJJJUZPf663zsP"
)
# BIP-32 test vector 1 (bip-0032.mediawiki): chain m/0H and m/0H/1
BIP32_M_0H = (
    "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5s"
    "ki8PX9rL2dZXvgGDnw"
)
BIP32_M_0H_1 = (
    "xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2A"
    "xYysAA7xmALppuCkwQ"
)


def test_bip84_vectors_derive_the_published_addresses():
    findings = check_btc_addresses("btc-hot", BIP84_ZPUB, BIP84_ADDRESSES)
    assert [f.holds for f in findings] == [True, True, True]
    assert btc_address(BIP84_ZPUB, "0/0") == "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"


def test_each_registered_address_that_differs_is_reported_with_expected_and_got():
    registered = {**BIP84_ADDRESSES, "0/1": BIP84_ADDRESSES["1/0"]}
    findings = {f.subject: f for f in check_btc_addresses("btc-hot", BIP84_ZPUB, registered)}
    wrong = findings["btc-hot:0/1"]
    assert not wrong.holds and wrong.code == "ceremony.address"
    assert wrong.expected == "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"
    assert wrong.got == "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el"
    assert findings["btc-hot:0/0"].holds and findings["btc-hot:1/0"].holds


def test_bip49_and_bip44_vectors_give_nested_segwit_and_legacy_addresses():
    assert btc_address(BIP49_UPUB, "0/0") == "2Mww8dCYPUpKHofjgcXcBCEGmniw9CoaiD2"
    assert btc_address(SLIP132_YPUB, "0/0") == "37VucYSaXLCAsxYyAPfbSi9eh4iEcbShgf"
    assert btc_address(SLIP132_XPUB, "0/0", purpose=44) == "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA"
    assert btc_address(SLIP132_XPUB, "0/1", purpose=44) == "1Ak8PffB2meyfYnbXZR9EGfLfFZVpzJvQP"
    with pytest.raises(AddressError, match="expected purpose 84 for a zpub, got 44"):
        btc_address(BIP84_ZPUB, "0/0", purpose=44)


def test_bip32_vector_1_public_derivation_is_what_the_checks_rely_on():
    parent = bip32.HDKey.from_string(BIP32_M_0H)
    assert parent.derive([1]).to_base58() == BIP32_M_0H_1


def test_a_private_extended_key_given_as_ceremony_output_is_refused_without_use():
    xprv = bip32.HDKey.from_seed(os.urandom(32)).to_base58()
    [finding] = check_btc_addresses("btc-hot", xprv, {"0/0": "bc1q..."})
    assert not finding.holds
    assert "got an extended private key (it is not kept)" in finding.message
    assert xprv not in finding.message + finding.got
    with pytest.raises(AddressError, match="expected a path change/index"):
        btc_address(BIP84_ZPUB, "0/1/2")


# --- multisig ---------------------------------------------------------------------------------


def _account_xpubs() -> list[str]:
    root = bip32.HDKey.from_seed(bytes(range(32)))
    return [root.derive(f"m/48h/0h/{i}h/2h").to_public().to_base58() for i in range(3)]


def test_a_2_of_3_p2wsh_sortedmulti_address_matches_the_descriptor_and_ignores_key_order():
    xpubs = _account_xpubs()
    descriptor = Descriptor.from_string(
        "wsh(sortedmulti(2," + ",".join(f"{x}/0/*" for x in xpubs) + "))"
    )
    expected = descriptor.derive(5).address()
    assert multisig_address(2, xpubs, "0/5") == expected
    assert multisig_address(2, list(reversed(xpubs)), "0/5") == expected
    assert multisig_address(3, xpubs, "0/5") != expected
    findings = check_multisig_addresses("btc-hot", 2, xpubs, {"0/5": expected, "0/6": expected})
    assert [(f.subject, f.holds) for f in findings] == [
        ("btc-hot:0/5", True),
        ("btc-hot:0/6", False),
    ]
    assert findings[1].expected == descriptor.derive(6).address()


# --- EVM --------------------------------------------------------------------------------------

# the public key of the private key 1 (the generator G of secp256k1, SEC 2) and its address
G_X = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
G_Y = "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
G_ADDRESS = "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"


@pytest.mark.parametrize("public_key", ["04" + G_X + G_Y, G_X + G_Y, "02" + G_X])
def test_an_evm_address_comes_from_an_uncompressed_or_compressed_public_key(public_key):
    assert evm_address(public_key) == G_ADDRESS
    assert check_evm_address("eth-hot", public_key, G_ADDRESS.lower()).holds


def test_an_evm_address_with_a_bad_checksum_or_another_key_is_reported():
    typo = G_ADDRESS.replace("E5F", "e5F")
    finding = check_evm_address("eth-hot", G_X + G_Y, typo)
    assert finding.code == "ceremony.evm_checksum" and not finding.holds
    other = check_evm_address("eth-hot", G_X + G_Y, "0x" + "11" * 20)
    assert other.code == "ceremony.evm_address" and not other.holds
    assert other.expected == G_ADDRESS
    off_curve = check_evm_address("eth-hot", G_X + "00" * 32, G_ADDRESS)
    assert not off_curve.holds and "off the curve" in off_curve.message


# --- SLIP-39 ----------------------------------------------------------------------------------

# SLIP-39 test vector 1 (trezor/python-shamir-mnemonic, vectors.json): one share, 1-of-1
SLIP39_VECTOR_1 = (
    "duckling enlarge academic academic agency result length solution fridge kidney coal piece "
    "deal husband erode duke ajar critical decision keyboard"
)


def test_slip39_vector_1_shows_a_single_share_scheme_and_a_corrupted_word_is_refused():
    seen = share_set_parameters([SLIP39_VECTOR_1])
    assert (seen.group_threshold, seen.group_count) == (1, 1)
    assert check_share_set("cold-root", seen, ShareScheme(1, ((1, 1),)))[0].holds
    with pytest.raises(ShareError, match="share 1 is not a valid SLIP-39 share"):
        share_set_parameters([SLIP39_VECTOR_1.replace("keyboard", "kidney")])


def test_a_generated_share_set_is_checked_against_the_registered_scheme():
    groups = [(2, 3), (3, 5)]
    mnemonics = shamir_mnemonic.generate_mnemonics(2, groups, os.urandom(16))
    shown = [*mnemonics[0][:2], *mnemonics[1][:3]]
    seen = share_set_parameters(shown)
    assert [(g.index, g.member_threshold, g.members) for g in seen.groups] == [(0, 2, 2), (1, 3, 3)]
    assert [
        f.holds for f in check_share_set("cold-root", seen, ShareScheme(2, ((2, 3), (3, 5))))
    ] == [True]
    wrong = check_share_set("cold-root", seen, ShareScheme(3, ((2, 3), (2, 5), (1, 1))))
    assert {(f.code, f.expected, f.got) for f in wrong} == {
        ("ceremony.slip39_group_threshold", "3", "2"),
        ("ceremony.slip39_group_count", "3", "2"),
        ("ceremony.slip39_member_threshold", "2", "3"),
    }
    # a share of another set is not part of this one; no share is repeated in the message
    stranger = shamir_mnemonic.generate_mnemonics(2, groups, os.urandom(16))[0][0]
    with pytest.raises(ShareError, match="not one share set") as refused:
        share_set_parameters([*shown, stranger])
    assert stranger.split()[0] not in str(refused.value).split()
    assert not hasattr(seen, "value") and "value" not in repr(seen)


# --- BIP-39 -----------------------------------------------------------------------------------

# BIP-39 test vectors (trezor/python-mnemonic, vectors.json, "english", passphrase "TREZOR")
BIP39_VECTORS = [
    Bip39Vector(
        "00000000000000000000000000000000",
        "abandon " * 11 + "about",
        "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
    ),
    Bip39Vector(
        "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
        "legal winner thank year wave sausage worth useful legal winner thank yellow",
        "2e8905819b8723fe2c1d161860e5ee1830318dbf49a83bd451cfb8440c28bd6fa457fe1296106559a3c80937a1c1069be3a3a5bd381ee6260e8d9739fce1f607",
    ),
    Bip39Vector(
        "80808080808080808080808080808080",
        "letter advice cage absurd amount doctor acoustic avoid letter advice cage above",
        "d71de856f81a8acc65e6fc851a38d4d7ec216fd0796d0a6827a3ad6ed5511a30fa280f12eb2e47ed2ac03b5c462a0358d18d69fe4f985ec81778c1b370b652a8",
    ),
    Bip39Vector(
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "zoo " * 23 + "vote",
        "dd48c104698c30cfe2b6142103248622fb7bb0ff692eebb00089b32d22484e1613912f0a5b694407be899ffd31ed3992c456cdf60f5d4564b8ba3f05a69890ad",
    ),
]


def test_bip39_vectors_pass_and_each_kind_of_error_is_named():
    assert all(f.holds for f in check_bip39_vectors("coldcard-fw-5.4", BIP39_VECTORS))
    broken = [
        Bip39Vector(
            BIP39_VECTORS[0].entropy,
            BIP39_VECTORS[0].mnemonic.replace("about", "above"),
            BIP39_VECTORS[0].seed,
        ),
        Bip39Vector(BIP39_VECTORS[2].entropy, BIP39_VECTORS[1].mnemonic, BIP39_VECTORS[1].seed),
        Bip39Vector(BIP39_VECTORS[3].entropy, BIP39_VECTORS[3].mnemonic, BIP39_VECTORS[2].seed),
    ]
    codes = [f.code for f in check_bip39_vectors("coldcard-fw-5.4", broken)]
    assert codes == ["ceremony.bip39_checksum", "ceremony.bip39_words", "ceremony.bip39_seed"]
    assert bip39_checksum_ok(BIP39_VECTORS[1].mnemonic)
    assert not bip39_checksum_ok("zoo " * 11 + "zoo")
