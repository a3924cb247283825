"""mamori never stores a seed or private key (ISM 28-3-1): a ceremony's output is refused when
anything in it looks like a secret, and the refusal never repeats the secret."""

from __future__ import annotations

import os

import pytest
import shamir_mnemonic
from embit import bip32
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.engines.keys import SecretFound, find_secrets, refuse_secrets
from tests.engines.test_keys_ceremony import BIP84_ADDRESSES, BIP84_ZPUB, G_X, G_Y

# BIP-84 test vector (bip-0084.mediawiki): the WIF private key of m/84'/0'/0'/0/0
WIF = "KyZpNDKnfs94vbrwhJneDi77V6jF64PWPF8x5cdJb8ifgg2DUc9d"
MNEMONIC_12 = "legal winner thank year wave sausage worth useful legal winner thank yellow"


def _public_output() -> dict:
    return {
        "wallet": "btc-hot",
        "account_xpub": BIP84_ZPUB,
        "addresses": BIP84_ADDRESSES,
        "public_key": "04" + G_X + G_Y,
        "compressed": "02" + G_X,
        "script_sha256": "9f" * 32,
        "txid": "ab" * 32,
        "participants": ["sato", "mori"],
        "note": "Generated on an air-gapped machine; the seed words went into the steel capsule.",
    }


def test_public_ceremony_output_with_xpubs_addresses_and_hashes_passes():
    assert find_secrets(_public_output()) == []
    refuse_secrets(_public_output())


@pytest.mark.parametrize(
    ("secret", "kind"),
    [
        (bip32.HDKey.from_seed(bytes(range(32))).to_base58(), "extended_private_key"),
        (WIF, "wif_private_key"),
        (MNEMONIC_12, "mnemonic_phrase"),
        ("words: " + " ".join(["zoo"] * 23 + ["vote"]), "mnemonic_phrase"),
        (bytes(range(32, 64)).hex(), "hex_private_key"),
        ("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE...", "pem_private_key"),
    ],
)
def test_a_secret_anywhere_in_the_output_is_refused_naming_where_not_what(secret, kind):
    output = _public_output()
    output["participants"] = ["sato", {"name": "mori", "remark": f"kept {secret} safe"}]
    with pytest.raises(SecretFound) as refused:
        refuse_secrets(output)
    assert [(hit.path, hit.kind) for hit in refused.value.hits] == [
        ("participants[1].remark", kind)
    ]
    message = str(refused.value)
    assert "participants[1].remark looks like" in message
    assert "mamori never stores a seed or private key" in message
    assert secret not in message and secret.split()[-1] not in message.split()


def test_a_slip39_share_a_japanese_phrase_raw_bytes_and_secret_fields_are_refused():
    share = shamir_mnemonic.generate_mnemonics(1, [(2, 3)], os.urandom(16))[0][0]
    from mnemonic import Mnemonic

    japanese = Mnemonic("japanese").generate(128)
    output = {
        "share": "",  # an empty secret field is fine
        "backup": {"card": share},
        "memo": japanese,
        "blob": os.urandom(32),
        "seed": "kept elsewhere",
        "recovery": {"privateKey": "in the vault"},
    }
    kinds = {hit.path: hit.kind for hit in find_secrets(output)}
    assert kinds == {
        "backup.card": "slip39_share",
        "memo": "mnemonic_phrase",
        "blob": "raw_32_bytes",
        "seed": "secret_field",
        "recovery.privateKey": "secret_field",
    }


def test_common_words_and_an_address_list_are_not_mistaken_for_a_phrase():
    text = "the key holders met at the Osaka vault and checked the three addresses together"
    assert find_secrets({"minutes": text, "addresses": list(BIP84_ADDRESSES.values())}) == []


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.binary(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(_json)
def test_the_scanner_reads_any_json_like_value_without_failing(value):
    hits = find_secrets(value)
    assert all(hit.kind for hit in hits)
    if hits:
        with pytest.raises(SecretFound):
            refuse_secrets(value)
    else:
        refuse_secrets(value)


def test_the_public_surface_is_pinned():
    import mamori.engines.keys as keys

    assert {name for name in keys.__all__ if not hasattr(keys, name)} == set()
    assert {"evaluate", "check_entry", "impact_of_change", "refuse_secrets", "check_policy"} <= set(
        keys.__all__
    )
    # framework-free: importing the engine (and its HSM module) loads no Django
    import subprocess
    import sys

    code = (
        "import sys, mamori.engines.keys, mamori.engines.keys.hsm; print('django' in sys.modules)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "False"
