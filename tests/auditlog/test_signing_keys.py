"""Signing keys live away from the data (issue 24, point 5): in a PKCS#11 token (SoftHSM2
here, for real) or a key file outside the data directory whose permissions are checked. The
database keeps public keys only, in append-only rows; a missing key stops signing and no key
is made behind anyone's back; rotating a key takes two people's approval and logs both keys;
an insider holding the database and the data directory cannot make a checkpoint or statement
that verification against the genuine public key accepts."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from mamori.accounts.models import ApprovalRequest
from mamori.accounts.services import approvals
from mamori.auditlog import keys, services, store
from mamori.auditlog.context import acting
from mamori.auditlog.models import Checkpoint, Entry, SigningKey
from mamori.auditlog.verify import verify
from mamori.config import ConfigError, load
from mamori.core import signing
from mamori.engines import merkle
from mamori.engines import reconcile as engine
from tests.conftest import give, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages in English (the catalogue gives them in Japanese by default)."""
    with translation.override("en"):
        yield


def _use(settings, **changes) -> None:
    settings.CONFIG = dataclasses.replace(django_settings.CONFIG, **changes)


@pytest.fixture
def key_dir(tmp_path: Path, settings) -> Path:
    """A key directory of this test's own (outside the data directory), used for signing."""
    directory = tmp_path / "keys"
    directory.mkdir(mode=0o700)
    _use(settings, signing_key_dir=directory, pkcs11_module="")
    return directory


@pytest.fixture
def officers(db):
    """Someone who asks, and a CISO and a system general manager who approve."""
    return {
        "asker": give(make_user("info-ueda"), "dept_information_manager"),
        "ciso": give(make_user("ciso-hara"), "ciso"),
        "sgm": give(make_user("sgm-kato"), "system_general_manager"),
    }


def _grow_log(n: int = 3) -> None:
    with acting("system:test"):
        for i in range(n):
            services.record("test.event", "t", str(i))


@pytest.mark.no_signing_keys
def test_checkpoints_and_statements_are_signed_inside_softhsm(softhsm_token, settings) -> None:
    _use(
        settings,
        pkcs11_module=softhsm_token["module"],
        pkcs11_token=softhsm_token["token"],
        pkcs11_pin=softhsm_token["pin"],
        signing_key_dir=None,
    )
    with acting("system:test"):
        log_row = keys.init("log", "system:test")
        statement_row = keys.init("statement", "system:test")
    assert log_row.store == statement_row.store == "pkcs11"
    _grow_log()
    checkpoint = services.issue_checkpoint()
    genuine = keys.verifier_of(log_row)
    assert merkle.parse_checkpoint(checkpoint.note, genuine).size == checkpoint.size
    assert verify(genuine).ok
    document = engine.sign_statement({"run": 1}, keys.signing_key("statement"))
    assert engine.check_signature(document, keys.verifier_of(statement_row)) == {
        "run": 1,
        "signing_key": {"name": statement_row.name, "key_id": statement_row.key_id},
    }
    # the private key was made inside the token: sensitive, never extractable
    import pkcs11

    store = signing.configured_store()
    assert isinstance(store, signing.Pkcs11Store)
    with store.session() as session:
        private = next(
            iter(session.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.PRIVATE_KEY}))
        )
        assert private[pkcs11.Attribute.SENSITIVE] is True
        assert private[pkcs11.Attribute.EXTRACTABLE] is False
    # the database holds the public half only
    columns = {f.name for f in SigningKey._meta.get_fields()}
    assert not any("private" in name for name in columns)
    # the key removed from the token: signing stops, naming the token; no key is made
    with store.session(rw=True) as session:
        for key in session.get_objects({pkcs11.Attribute.LABEL: "mamori-log"}):
            key.destroy()
    _grow_log()
    with pytest.raises(signing.KeyMissing, match="PKCS#11 token 'mamori-test'"):
        services.issue_checkpoint()
    assert SigningKey.objects.filter(purpose="log").count() == 1
    with store.session() as session:
        assert not list(session.get_objects({pkcs11.Attribute.LABEL: "mamori-log"}))


def test_a_key_file_others_may_read_is_refused(key_dir: Path) -> None:
    files = signing.KeyFileStore(key_dir, django_settings.CONFIG.data_dir)
    public_key = files.create("log")
    path = files.path_for("log", public_key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    files.signer("log", public_key).sign(b"fine")
    for mode in (0o640, 0o604):
        path.chmod(mode)
        with pytest.raises(signing.StoreRefused) as refused:
            files.signer("log", public_key)
        assert refused.value.code == "key_file_permissions"
        assert str(path) in refused.value.message and f"{mode:04o}" in refused.value.message
    path.chmod(0o600)
    key_dir.chmod(0o777)
    with pytest.raises(signing.StoreRefused, match="mode 0700"):
        files.signer("log", public_key)
    key_dir.chmod(0o700)


def test_a_key_directory_inside_the_data_directory_is_refused(tmp_path: Path) -> None:
    data_dir = django_settings.CONFIG.data_dir
    with pytest.raises(signing.StoreRefused) as refused:
        signing.KeyFileStore(data_dir / "keys", data_dir)
    assert refused.value.code == "key_dir_in_data_dir"
    with pytest.raises(signing.StoreRefused):
        signing.KeyFileStore(data_dir, data_dir)
    env = {"MAMORI_DATA_DIR": str(tmp_path / "data"), "MAMORI_SIGNING_KEY_DIR": str(tmp_path)}
    with pytest.raises(ConfigError, match="MAMORI_SIGNING_KEY_DIR must be outside the data"):
        load(env)
    env["MAMORI_SIGNING_KEY_DIR"] = str(tmp_path / "data" / "keys")
    with pytest.raises(ConfigError, match="MAMORI_SIGNING_KEY_DIR must be outside the data"):
        load(env)
    env["MAMORI_SIGNING_KEY_DIR"] = str(tmp_path / "keys")
    assert load(env).signing_key_dir == (tmp_path / "keys").resolve()


def test_key_rows_cannot_be_changed_or_removed() -> None:
    row = keys.current("log")
    for statement in (
        "UPDATE auditlog_signingkey SET public_key = public_key",
        "UPDATE auditlog_signingkey SET name = 'forged'",
        "DELETE FROM auditlog_signingkey",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    with pytest.raises(DatabaseError), transaction.atomic():
        SigningKey.objects.filter(pk=row.pk).update(store="file")
    with pytest.raises(DatabaseError), transaction.atomic():
        row.delete()
    assert keys.current("log").public_key == row.public_key


def test_a_missing_key_file_stops_signing_and_no_key_is_made(key_dir: Path) -> None:
    public_key = signing.configured_store().create("log")
    row = keys.current("log")
    _grow_log()
    rows_before, files_before = SigningKey.objects.count(), sorted(os.listdir(key_dir))
    # the current key's file is elsewhere: this directory does not hold it
    with pytest.raises(signing.KeyMissing) as missing:
        services.issue_checkpoint()
    assert str(key_dir) in missing.value.message
    assert "no new key is made" in missing.value.message
    with translation.override("ja"), pytest.raises(signing.KeyMissing) as japanese:
        services.issue_checkpoint()
    assert str(key_dir) in japanese.value.message and "新しい鍵は自動では作りません" in (
        japanese.value.message
    )
    assert SigningKey.objects.count() == rows_before and keys.current("log").pk == row.pk
    assert sorted(os.listdir(key_dir)) == files_before
    assert not Checkpoint.objects.exists()
    with pytest.raises(CommandError, match="is missing"):
        call_command("log", "checkpoint")
    assert public_key  # a key made on purpose stays where it was made


@pytest.mark.no_signing_keys
def test_no_key_at_all_stops_signing_with_how_to_make_one(key_dir: Path) -> None:
    _grow_log()
    with pytest.raises(signing.KeyMissing, match="mamori keys init log"):
        services.issue_checkpoint()
    assert not SigningKey.objects.exists() and os.listdir(key_dir) == []
    with pytest.raises(CommandError, match="mamori keys init statement"):
        call_command("reconcile", "public-key")


@pytest.mark.no_signing_keys
def test_keys_init_makes_a_key_once_and_logs_it(key_dir: Path, capsys) -> None:
    call_command("keys", "init", "log")
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    row = keys.current("log")
    assert printed == keys.verifier_of(row) and row.store == "file"
    logged = json.loads(store.body_of(_position("keys.init")))["details"]
    assert logged["new_key"] == printed and logged["old_key"] is None
    with pytest.raises(CommandError, match="a new key is a rotation"):
        call_command("keys", "init", "log")
    assert SigningKey.objects.filter(purpose="log").count() == 1
    _grow_log()
    assert services.issue_checkpoint() is not None


@pytest.mark.no_signing_keys
def test_rotation_needs_two_approvals_and_logs_both_public_keys(key_dir: Path, officers) -> None:
    with acting("system:test"):
        old = keys.init("log", "system:test")
    _grow_log()
    services.issue_checkpoint()
    new_key = keys.prepare("log")
    assert keys.current("log").pk == old.pk  # prepared, not in use
    request = keys.request_rotation("log", new_key, officers["asker"])
    assert request.policy.code == "key_rotation"
    with pytest.raises(approvals.ApprovalRefused):  # the asker does not approve their own
        approvals.decide(request.pk, officers["asker"], "approve", "mine")
    approvals.decide(request.pk, officers["ciso"], "approve", "agreed")
    assert keys.current("log").pk == old.pk  # one approval is not enough
    approvals.decide(request.pk, officers["sgm"], "approve", "agreed")
    request.refresh_from_db()
    assert request.status == ApprovalRequest.Status.APPROVED
    new = keys.current("log")
    assert new.pk != old.pk and keys.verifier_of(new) == new_key
    assert new.approval == request.pk and new.name == old.name
    logged = json.loads(store.body_of(_position("keys.rotate")))["details"]
    assert logged["old_key"] == keys.verifier_of(old) and logged["new_key"] == new_key
    _grow_log()
    services.issue_checkpoint()  # signed with the new key
    assert verify([keys.verifier_of(old), new_key]).ok
    assert not verify(keys.verifier_of(old)).ok  # the new checkpoint is not the old key's
    kept = key_dir.parent / "auditor-keys.txt"  # what the auditor keeps: both keys
    kept.write_text(f"{keys.verifier_of(old)}\n{new_key}\n", encoding="utf-8")
    call_command("log", "verify", "--key", str(kept))
    with pytest.raises(CommandError, match="no signature by key"):
        call_command("log", "verify", "--key", keys.verifier_of(old))
    with pytest.raises(approvals.ApprovalRefused):
        keys.request_rotation("log", new_key, officers["asker"])  # already current


def _position(action: str) -> int:
    store.catch_up_index()
    return Entry.objects.get(action=action).position


@pytest.mark.no_signing_keys
def test_a_key_that_was_kept_in_the_database_is_retired_and_replaced_by_keys_init(
    key_dir: Path,
) -> None:
    legacy = merkle.LogKey.generate(keys.name_for("log"))  # as the migration leaves it
    old = SigningKey.objects.create(
        purpose="log",
        name=legacy.name,
        key_id=legacy.key_id.hex(),
        public_key=legacy.public_key,
        store="legacy",
        created_by="migration",
    )
    _grow_log()
    with pytest.raises(signing.KeyMissing, match="retired"):
        services.issue_checkpoint()
    with acting("system:test"):
        new = keys.init("log", "system:test")
    assert new.name == old.name and keys.current("log").pk == new.pk
    logged = json.loads(store.body_of(_position("keys.init")))["details"]
    assert logged["old_key"] == legacy.verifier() and logged["new_key"] == keys.verifier_of(new)
    assert services.issue_checkpoint() is not None


def test_a_rotation_to_a_key_the_store_does_not_hold_is_refused(key_dir: Path, officers) -> None:
    foreign = merkle.LogKey.generate(keys.name_for("log")).verifier()
    with pytest.raises(approvals.ApprovalRefused) as refused:
        keys.request_rotation("log", foreign, officers["asker"])
    assert refused.value.code == "key_missing"


def test_an_insider_without_the_key_cannot_forge_what_verify_with_the_genuine_key_accepts(
    capsys,
) -> None:
    genuine = keys.database_verifier("log")
    genuine_statement = keys.database_verifier("statement")
    _grow_log()
    services.issue_checkpoint()
    call_command("log", "verify", "--key", genuine)
    assert "audit log verified against the key(s) given" in capsys.readouterr().out
    # the insider holds the database and the data directory, not the key store: they append
    # a key of their own (rows may be added, never changed) and sign a forged checkpoint
    insider = merkle.LogKey.generate(keys.name_for("log"))
    SigningKey.objects.create(
        purpose="log",
        name=insider.name,
        key_id=insider.key_id.hex(),
        public_key=insider.public_key,
        store="file",
        created_by="user:insider",
    )
    with pytest.raises(signing.SigningError):
        services.issue_checkpoint()  # mamori itself cannot sign with a key it does not hold
    _grow_log()
    size = store.size()
    root = merkle.root_at(store.DbNodes(), size)
    Checkpoint.objects.create(
        size=size,
        root=root,
        note=insider.sign(merkle.Checkpoint(keys.origin(), size, root)),
        issued_at=Checkpoint.objects.order_by("-size").first().issued_at,
    )
    call_command("log", "verify")  # the database's own keys agree with the database...
    captured = capsys.readouterr()
    assert "NOT verified" in captured.out and "not a verification" in captured.err
    with pytest.raises(CommandError, match=f"checkpoint {size}: no signature by key"):
        call_command("log", "verify", "--key", genuine)  # ...the auditor's key does not
    # a statement hiding a shortfall, re-signed with the insider's key
    honest = engine.sign_statement(
        {"assets": [{"asset": "ETH", "difference": "-3000000000000000000"}]},
        keys.signing_key("statement"),
    )
    forged_body = {"assets": [{"asset": "ETH", "difference": "0"}]}
    forged = engine.sign_statement(forged_body, merkle.LogKey.generate(honest["verifier"][:20]))
    with pytest.raises(engine.StatementError):
        engine.check_signature(forged, genuine_statement)
    tampered = {**honest, "statement": {**honest["statement"], **forged_body}}
    with pytest.raises(engine.StatementError, match="does not verify"):
        engine.check_signature(tampered, genuine_statement)
    assert engine.check_signature(honest, genuine_statement)


def test_the_demo_falls_back_to_a_key_directory_without_softhsm(tmp_path: Path, monkeypatch):
    from mamori.core.signing import demo

    monkeypatch.setattr(demo, "softhsm_module", lambda: None)
    env: dict[str, str] = {}
    warning = demo.configure(tmp_path / "demo-data", env)
    assert env == {"MAMORI_SIGNING_KEY_DIR": str(tmp_path / "demo-data-keys")}
    assert warning and "SoftHSM2 is not installed" in warning
    assert demo.configure(tmp_path / "demo-data", {"MAMORI_SIGNING_KEY_DIR": "/x"}) is None


def test_the_demo_uses_a_softhsm_token_when_softhsm_is_installed(tmp_path: Path) -> None:
    from mamori.core.signing import demo
    from mamori.testing.pytest_plugin import softhsm_required

    softhsm_required()
    env: dict[str, str] = {}
    assert demo.configure(tmp_path / "demo-data", env) is None
    assert env["MAMORI_PKCS11_TOKEN"] == demo.DEMO_TOKEN
    assert Path(env["SOFTHSM2_CONF"]).is_relative_to(tmp_path / "demo-data")


@pytest.mark.no_signing_keys
def test_the_keys_command_prepares_asks_and_lists(key_dir: Path, officers, capsys) -> None:
    call_command("keys", "init", "statement")
    first = capsys.readouterr().out.strip().splitlines()[-1]
    call_command("keys", "prepare", "statement")
    prepared = capsys.readouterr().out.strip().splitlines()[-1]
    assert prepared != first and prepared.startswith(keys.name_for("statement") + "+")
    call_command("keys", "rotate", "statement", prepared, "--as", officers["asker"].username)
    assert "two people approve" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already waits for approval"):
        call_command("keys", "rotate", "statement", prepared, "--as", officers["asker"].username)
    request = keys.pending("statement")
    for approver in ("ciso", "sgm"):
        approvals.decide(request.pk, officers[approver], "approve", "ok")
    call_command("keys", "list")
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in listed] == [
        ["statement", "retired", "file"],
        ["statement", "current", "file"],
    ]
    assert listed[0].endswith(first) and listed[1].endswith(prepared)
