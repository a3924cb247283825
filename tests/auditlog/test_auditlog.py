"""The audit log: one choke point records every change, and any tampering is found exactly."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from django.db import close_old_connections, connection
from django.test import Client

from mamori.accounts.models import Department, Role, RoleAssignment
from mamori.accounts.services import tokens
from mamori.auditlog import archive, services, store
from mamori.auditlog.context import acting
from mamori.auditlog.models import Checkpoint, Entry
from mamori.auditlog.triggers import disable_sql, enable_sql
from mamori.auditlog.verify import verify
from mamori.engines import merkle
from tests.conftest import PASSWORD, make_user, sign_in

pytestmark = pytest.mark.django_db


def verifier() -> str:
    return services.log_key().verifier()


def grow(n: int) -> None:
    with acting("system:test"):
        for i in range(n):
            services.record("test.event", "test.thing", str(i), {"i": i})


def test_model_changes_are_recorded_with_digests_not_contents() -> None:
    department = Department.objects.create(code="ops", name_ja="運用部", name_en="Operations")
    created = Entry.objects.get(object_type="accounts.department", action="create")
    body = json.loads(created.body)
    assert body["object"] == {"type": "accounts.department", "id": str(department.pk)}
    assert body["before"] is None and len(body["after"]) == 64
    assert "運用部" not in created.body  # a digest, never the data
    department.name_en = "Ops"
    department.save()
    updated = json.loads(Entry.objects.get(object_type="accounts.department", action="update").body)
    assert updated["before"] == body["after"] and updated["after"] != body["after"]
    department.delete()
    assert Entry.objects.filter(object_type="accounts.department", action="delete").exists()


def test_bulk_updates_and_bulk_creates_are_recorded_too() -> None:
    issued = tokens.issue("gateway", ["accounts:read"], 30, None)
    tokens.revoke(issued.token, None)  # a QuerySet.update()
    assert Entry.objects.filter(
        object_type="accounts.apitoken", action="update", object_id=str(issued.token.pk)
    ).exists()
    Department.objects.bulk_create(
        [Department(code=f"b{i}", name_ja="x", name_en="x") for i in range(3)]
    )
    assert Entry.objects.filter(object_type="accounts.department", action="create").count() == 3
    assert issued.secret not in "".join(entry.body for entry in Entry.objects.all())


def test_sign_ins_and_failures_are_recorded_and_share_the_request_id(client: Client) -> None:
    make_user("alice")
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    failure = Entry.objects.get(action="signin.failure")
    assert json.loads(failure.body)["details"]["username"] == "alice"
    assert failure.request_id == response["X-Request-ID"]
    assert json.loads(failure.body)["ip"] == "127.0.0.1"
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert Entry.objects.filter(action="signin.success").exists()
    same_request = Entry.objects.filter(request_id=response["X-Request-ID"])
    assert same_request.count() >= 2  # the attempt and the throttle it updated


def test_approval_decisions_are_recorded_as_such() -> None:
    from mamori.accounts.services import approvals

    ann, bob, req = make_user("ann"), make_user("bob"), make_user("req")
    for person in (ann, bob):
        RoleAssignment.objects.create(user=person, role=Role.objects.get(code="ciso"))
    approvals.register_kind("test.z", policy="halt_lift", apply=lambda request: None)
    request = approvals.submit("test.z", "t", {"a": 1}, req)
    approvals.decide(request.pk, ann, "reject", "no")
    entry = Entry.objects.get(action="approval.reject")
    assert json.loads(entry.body)["details"]["request"] == request.pk


def test_the_database_refuses_updates_and_deletes_of_the_log() -> None:
    grow(260)  # a chunk of 256 completes: its root is stored as a node
    services.issue_checkpoint()
    from django.db import DatabaseError, transaction

    assert Entry.objects.count() == 260  # the search index has caught up
    for sql in (
        "UPDATE auditlog_run SET count = 2 WHERE first = 1",
        "DELETE FROM auditlog_run WHERE first = 1",
        "UPDATE auditlog_entry SET actor = 'x' WHERE position = 1",
        "DELETE FROM auditlog_entry WHERE position = 1",
        "DELETE FROM auditlog_node",
        "UPDATE auditlog_checkpoint SET note = ''",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connection.cursor().execute(sql)
    assert verify(verifier()).ok


@pytest.fixture
def signed_log():
    grow(40)
    services.issue_checkpoint()
    grow(5)
    return verifier()


@pytest.fixture
def tamper():
    """Run SQL as an administrator who turned the append-only triggers off."""

    def run(sql: str, params: list | None = None) -> None:
        cursor = connection.cursor()
        for statement in disable_sql(connection.vendor):
            cursor.execute(statement)
        cursor.execute(sql, params or [])
        for statement in enable_sql(connection.vendor):
            cursor.execute(statement)

    return run


def body_of(position: int) -> str:
    return Entry.objects.get(position=position).body


def set_body(tamper, position: int, body: str) -> None:
    """Replace one entry's body (each test entry was appended alone: one run per entry)."""
    tamper("UPDATE auditlog_run SET bodies = %s WHERE first = %s", [body.encode(), position])


def test_an_intact_log_verifies(signed_log) -> None:
    result = verify(signed_log)
    assert result.ok and result.entries >= 45 and result.checkpoints == 1


def test_a_changed_byte_is_found_at_its_index(signed_log, tamper) -> None:
    set_body(tamper, 17, body_of(17).replace('"i":17', '"i":71'))
    assert verify(signed_log).problem.startswith("entry 17: leaf hash expected")
    assert "(the entry was changed)" in verify(signed_log).problem


def test_a_change_with_a_matching_leaf_hash_is_still_found(signed_log, tamper) -> None:
    changed = body_of(17).replace('"i":17', '"i":71')
    set_body(tamper, 17, changed)
    tamper(
        "UPDATE auditlog_run SET leaves = %s WHERE first = 17",
        [merkle.leaf_hash(changed.encode())],
    )
    assert verify(signed_log).problem.startswith("entries 16–17: stored tree node 1/8")


def test_a_deleted_row_is_found(signed_log, tamper) -> None:
    tamper("DELETE FROM auditlog_run WHERE first = 23")
    assert verify(signed_log).problem == "entry 23 is missing (the next stored entry is 24)"


def test_entries_missing_across_chunks_are_found() -> None:
    grow(700)
    services.issue_checkpoint()
    first = Entry.objects.get(action="test.event", object_id="0").position
    gap = first + 256 - first % 256 + 256  # a whole chunk, then part of the next
    for low, high in ((gap - 256, gap), (gap, gap + 10)):
        with connection.cursor() as cursor:
            for statement in disable_sql(connection.vendor):
                cursor.execute(statement)
            cursor.execute("DELETE FROM auditlog_run WHERE first >= %s AND first < %s", [low, high])
            for statement in enable_sql(connection.vendor):
                cursor.execute(statement)
        assert verify(verifier()).problem == (
            f"entry {gap - 256} is missing (the next stored entry is {high})"
        )


def test_two_swapped_rows_are_found(signed_log, tamper) -> None:
    a, b = body_of(5), body_of(6)
    set_body(tamper, 5, b)
    set_body(tamper, 6, a)
    assert verify(signed_log).problem.startswith("entry 5:")


def test_two_swapped_rows_with_their_hashes_are_found(signed_log, tamper) -> None:
    tamper("UPDATE auditlog_run SET first = 1000 WHERE first = 5")
    tamper("UPDATE auditlog_run SET first = 5 WHERE first = 6")
    tamper("UPDATE auditlog_run SET first = 6 WHERE first = 1000")
    assert verify(signed_log).problem == "entry 5: its body says index 6 (moved)"


def test_an_entry_inserted_in_the_middle_is_found(signed_log, tamper) -> None:
    size = store.size()
    for position in range(size - 1, 9, -1):  # shift 10.. up by one, then insert a new 10
        tamper("UPDATE auditlog_run SET first = first + 1 WHERE first = %s", [position])
    forged = body_of(9).replace('"index":9', '"index":10')
    tamper(
        "INSERT INTO auditlog_run (first, count, bodies, leaves, nodes) "
        "SELECT 10, 1, %s, leaves, nodes FROM auditlog_run WHERE first = 9",
        [forged.encode()],
    )
    assert verify(signed_log).problem.startswith("entry 10:")


def test_a_truncated_log_is_found(signed_log, tamper) -> None:
    tamper("DELETE FROM auditlog_run WHERE first >= 30")
    problem = verify(signed_log).problem
    assert problem.startswith("the log holds 30 entries but checkpoint 40 was signed")


def test_a_changed_search_index_row_is_found(signed_log, tamper) -> None:
    assert Entry.objects.filter(actor="system:test").count() == 45  # brings the index up
    tamper("UPDATE auditlog_entry SET actor = 'user:nobody' WHERE position = 12")
    assert verify(signed_log).problem == (
        "search index: entry 12 is listed with actor 'user:nobody', its body says 'system:test'"
    )


def test_a_checkpoint_signed_by_another_key_is_found(signed_log, tamper) -> None:

    other = merkle.LogKey.generate(services.log_key().name)
    size = store.size()
    root = merkle.root_at(store.DbNodes(), size)
    tamper(
        "INSERT INTO auditlog_checkpoint (size, root, note, issued_at) VALUES (%s, %s, %s, %s)",
        [
            size,
            root,
            other.sign(merkle.Checkpoint(services.origin(), size, root)),
            connection.ops.adapt_datetimefield_value(
                __import__("django.utils.timezone").utils.timezone.now()
            ),
        ],
    )
    assert verify(signed_log).problem.startswith(f"checkpoint {size}: no signature by key")


def test_a_checkpoint_whose_size_goes_backwards_is_found(signed_log, tamper) -> None:
    from django.utils import timezone

    key = services.log_key()
    root = merkle.root_at(store.DbNodes(), 20)
    tamper(
        "INSERT INTO auditlog_checkpoint (size, root, note, issued_at) VALUES (%s, %s, %s, %s)",
        [
            20,
            root,
            key.sign(merkle.Checkpoint(services.origin(), 20, root)),
            connection.ops.adapt_datetimefield_value(timezone.now()),
        ],
    )
    assert verify(signed_log).problem.startswith("checkpoint 20 was issued after checkpoint 40")


def test_mamori_log_verify_names_the_index_and_exits_non_zero(signed_log, tamper) -> None:
    from django.core.management import CommandError, call_command

    tamper("DELETE FROM auditlog_run WHERE first = 3")
    with pytest.raises(CommandError, match="entry 3 is missing"):
        call_command("log", "verify")


def test_a_checkpoint_kept_outside_is_checked(signed_log, tmp_path: Path) -> None:
    from django.core.management import call_command

    kept = tmp_path / "kept.note"
    kept.write_text(Checkpoint.objects.get(size=40).note)
    grow(3)
    call_command("log", "verify", "--since-checkpoint", str(kept))
    forged = merkle.LogKey.generate("x").sign(merkle.Checkpoint(services.origin(), 40, b"\0" * 32))
    kept.write_text(forged)
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=r"kept\.note"):
        call_command("log", "verify", "--since-checkpoint", str(kept))


def test_an_archive_verifies_offline_with_only_the_public_key(signed_log, tmp_path: Path) -> None:
    manifest = archive.export(10, 30, tmp_path / "a")
    assert manifest["checkpoint_size"] >= 30
    assert archive.verify_archive(tmp_path / "a", signed_log) == 20
    assert Entry.objects.filter(action="export", object_type="auditlog.archive").exists()
    lines = (tmp_path / "a" / "entries.jsonl").read_text().splitlines()
    item = json.loads(lines[4])
    item["body"] = item["body"].replace('"i":14', '"i":41')
    item["leaf_hash"] = (
        __import__("base64").b64encode(merkle.leaf_hash(item["body"].encode())).decode()
    )
    lines[4] = json.dumps(item)
    (tmp_path / "a" / "entries.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(archive.ArchiveError, match="not part of the signed log"):
        archive.verify_archive(tmp_path / "a", signed_log)
    with pytest.raises(archive.ArchiveError, match="another key"):
        archive.verify_archive(
            tmp_path / "a", merkle.LogKey.generate(services.log_key().name).verifier()
        )


def test_stored_proofs_equal_the_oracle_across_chunks_and_mixed_appends() -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 1, 1, tzinfo=UTC)

    def prepared(n: int) -> store.PreparedEntry:
        return store.PreparedEntry(at, "system:t", "t", "t", str(n), "", {"n": n})

    done = 0
    for batch in (1, 1, 3, 250, 1, 1, 300, 5, 200, 1, 263, 1):  # runs cut at every 256
        store.append([prepared(done + k) for k in range(batch)])
        done += batch
    size = store.size()
    bodies = [store.body_of(p) for p in range(size)]
    oracle = {}
    frontier = merkle.Frontier()
    for body in bodies:
        for level, index, value in frontier.append(merkle.leaf_hash(body)):
            oracle[(level, index)] = value

    class Oracle:
        def node(self, level: int, index: int) -> bytes:
            return oracle[(level, index)]

    stored = store.DbNodes()
    for tree_size in (1, 2, 255, 256, 257, 511, 512, 513, 700, 768, 1024, size - 1, size):
        assert merkle.root_at(stored, tree_size) == merkle.root_from_leaves(bodies[:tree_size])
        for index in range(0, tree_size, 7):
            proof = merkle.inclusion_proof(stored, index, tree_size)
            assert proof == merkle.inclusion_proof(Oracle(), index, tree_size)
        for old in (1, 200, 256, 300, tree_size):
            if old <= tree_size:
                assert merkle.consistency_proof(stored, old, tree_size) == (
                    merkle.consistency_proof(Oracle(), old, tree_size)
                )
    assert verify(verifier()).ok


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_appends_rolled_back_are_never_built_on() -> None:
    from django.db import transaction

    grow(3)
    with pytest.raises(RuntimeError), transaction.atomic(), acting("system:test"):
        services.record("test.undone", "t", "1")
        services.record("test.undone", "t", "2")
        raise RuntimeError("the request failed")
    with transaction.atomic(), acting("system:test"):
        services.record("test.kept", "t", "3")
        with pytest.raises(RuntimeError), transaction.atomic():  # a savepoint rolled back
            services.record("test.undone", "t", "4")
            raise RuntimeError("one item of a batch failed")
        services.record("test.kept", "t", "5")
    assert not Entry.objects.filter(action="test.undone").exists()
    kept = Entry.objects.filter(action="test.kept").order_by("position")
    assert [e.object_id for e in kept] == ["3", "5"]
    assert [e.position for e in kept] == [kept[0].position, kept[0].position + 1]
    services.issue_checkpoint()
    assert verify(verifier()).ok


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_appends_never_fork_the_tree() -> None:
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            with acting(f"system:{name}"):
                for i in range(25):
                    services.record("test.concurrent", "t", f"{name}-{i}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Entry.objects.filter(action="test.concurrent").count() == 100
    services.issue_checkpoint()
    assert verify(verifier()).ok


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_processes_verify_a_large_log_and_name_the_same_entry(monkeypatch, tamper) -> None:
    from mamori.auditlog import verify as verification

    grow(600)
    services.issue_checkpoint()
    grow(10)
    monkeypatch.setattr(verification, "PARALLEL_FROM", 0)  # this log counts as large
    assert verify(verifier(), workers=2).ok
    grow(300)  # the next checkpoint falls in a chunk no stored checkpoint is in
    kept = merkle.parse_checkpoint(services.issue_checkpoint().note, verifier())
    tamper("DELETE FROM auditlog_checkpoint WHERE size = %s", [kept.size])
    grow(300)  # the kept checkpoint's chunk completes: its leaves are needed all the same
    assert verify(verifier(), kept, workers=2).ok  # kept outside only, in mid-chunk
    position = Entry.objects.get(action="test.event", object_id="300").position
    set_body(tamper, position, body_of(position).replace('"i":300', '"i":3'))
    serial = verify(verifier(), workers=1).problem
    assert serial.startswith(f"entry {position}: leaf hash expected")
    assert verify(verifier(), workers=2).problem == serial


def test_the_audit_pages_show_entries_and_proofs(signed_log) -> None:
    auditor = make_user("audi")
    RoleAssignment.objects.create(user=auditor, role=Role.objects.get(code="internal_auditor"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    sign_in(client, auditor)
    listing = client.get("/audit/?action=test.event&system=1").content.decode()
    assert ">test.event<" in listing and "signin" not in listing
    hidden = client.get("/audit/?action=test.event").content.decode()
    assert ">test.event<" not in hidden  # the tools' entries wait for "show scheduled jobs"
    page = client.get("/audit/12/").content.decode()
    assert "Included in the signed checkpoint" in page
    plain = Client()
    sign_in(plain, make_user("plain"))
    assert plain.get("/audit/").status_code == 403


def test_a_checkpoint_is_issued_by_the_scheduled_job() -> None:
    from mamori.scheduler.services import run_now

    grow(2)
    run = run_now("auditlog.checkpoint")
    assert run.status == "succeeded"
    checkpoint = Checkpoint.objects.get()
    assert checkpoint.size == json.loads(run.output)["size"] >= 2
    assert checkpoint.size <= store.size()  # the run's own record came after it


def test_reading_a_confidential_secret_is_recorded(client: Client) -> None:
    admin = make_user("root", superuser=True)
    sign_in(client, admin)
    client.post("/accounts/tokens/", {"name": "gw", "scopes": ["accounts:read"], "days": 30})
    read = Entry.objects.get(action="read", object_type="accounts.apitoken")
    assert read.actor == "user:root"
    assert json.loads(read.body)["details"]["fields"] == ["secret"]


def test_the_key_made_at_install_stays_the_key_when_hosts_change(signed_log, settings) -> None:
    before = services.log_key().verifier()
    settings.ALLOWED_HOSTS = ["mamori.example.jp"]
    assert services.log_key().verifier() == before
    assert verify(before).ok
