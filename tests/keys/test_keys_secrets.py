"""mamori never stores a seed or private key (ISM 28-3-1): a pasted xprv or mnemonic is refused
by the ceremony check, the key form and the API before anything is kept or logged — searched
for in every table and every body of the audit log — and public ceremony output is verified."""

from __future__ import annotations

import logging
import os

import pytest
from django.apps import apps
from django.db import connection
from embit import bip32

from mamori.auditlog.models import Run
from mamori.keys.models import KeyMaterial
from tests.conftest import client_for
from tests.keys.helpers import hot_wallet

pytestmark = pytest.mark.django_db

MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow"
ZPUB = (
    "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mG"
    "DtKsAYz2oz2AGutZYs"
)


def _everything_stored() -> str:
    """Return the text of every row of every table, and every audit log body."""
    parts = []
    for model in apps.get_models():
        if model is Run:
            continue
        for row in model._base_manager.using("default").values_list():
            parts.append(repr(row))
    with connection.cursor() as cursor:
        cursor.execute("SELECT bodies FROM auditlog_run")
        for (bodies,) in cursor.fetchall():
            parts.append(bytes(bodies).decode("utf-8", "replace"))
    return "\n".join(parts)


def test_a_pasted_xprv_or_mnemonic_never_reaches_the_database_or_the_log(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    inv = hot_wallet()
    xprv = bip32.HDKey.from_seed(os.urandom(32)).to_base58()
    client = client_for(inv.ciso)
    for secret in (xprv, MNEMONIC):
        page = client.post(
            "/keys/ceremony/",
            {"wallet": inv.wallet.pk, "kind": "xpub", "public_data": secret, "addresses": ""},
        )
        text = page.content.decode()
        assert "拒否しました" in text and secret not in text
        form = {
            "wallet": inv.wallet.pk,
            "label": "hot-x",
            "role": "operating",
            "holder": inv.holders["tanaka"].pk,
            "site": inv.sites["tokyo-dc"].pk,
            "storage_kind": "paper",
            "public_key": secret,
        }
        page = client.post("/keys/keys/new/", form)
        assert "拒否しました" in page.content.decode() and secret not in page.content.decode()
        api = client.post(
            "/api/keys/keys",
            {
                "wallet": "btc-hot",
                "label": "hot-y",
                "role": "operating",
                "holder": "tanaka",
                "site": "tokyo-dc",
                "storage_kind": "paper",
                "storage_model": secret,
            },
            content_type="application/json",
        )
        assert api.status_code == 422 and api.json()["code"] == "secret_refused"
        assert secret not in api.content.decode()
    assert not KeyMaterial.objects.filter(label__in=["hot-x", "hot-y"]).exists()
    stored = _everything_stored()
    assert "hot-a" in stored  # the search does see the inventory
    assert xprv not in stored
    assert MNEMONIC not in stored and "legal winner thank" not in stored
    logged = caplog.text
    assert xprv not in logged and "legal winner thank" not in logged


def test_public_ceremony_output_is_verified_against_the_registered_addresses(english) -> None:
    inv = hot_wallet()
    client = client_for(inv.ciso)
    page = client.post(
        "/keys/ceremony/",
        {
            "wallet": inv.wallet.pk,
            "kind": "xpub",
            "public_data": ZPUB,
            "addresses": "0/0 bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu\n"
            "0/1 bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "matches the address derived from the public output" in page
    assert "does not match: derived bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g" in page
