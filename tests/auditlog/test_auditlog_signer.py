"""The signer never forks the log: it proves consistency with what it signed before, remembered
outside the database, and refuses (and alerts) when an insider rewrote the log (issue 24.4)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from mamori.accounts.models import Role, RoleAssignment
from mamori.auditlog import services
from mamori.auditlog.context import acting
from mamori.auditlog.models import Checkpoint
from mamori.auditlog.runs import verify_and_record
from mamori.auditlog.signer import ALERT_TOPIC, SignerRefused
from mamori.auditlog.triggers import disable_sql, enable_sql
from mamori.notifications.models import Notification
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def grow(n: int, tag: str = "genuine") -> None:
    with acting("system:test"):
        for i in range(n):
            services.record("test.event", "test.thing", f"{tag}-{i}", {"i": i, "tag": tag})


def tamper(sql: str, params: list | None = None) -> None:
    """Run SQL as an administrator who turned the append-only triggers off."""
    cursor = connection.cursor()
    for statement in disable_sql(connection.vendor):
        cursor.execute(statement)
    cursor.execute(sql, params or [])
    for statement in enable_sql(connection.vendor):
        cursor.execute(statement)


def rewrite_from(position: int, count: int, *, drop_checkpoints: bool = True) -> None:
    """Rewrite the log consistently from entry ``position`` on, as an insider with the
    database would: cut the entries, their tree nodes and search rows, optionally delete the
    checkpoints that would betray it, and append other entries through mamori's own code (so
    every leaf, node and index row agrees)."""
    tamper("DELETE FROM auditlog_run WHERE first >= %s", [position])
    tamper("DELETE FROM auditlog_entry WHERE position >= %s", [position])
    for level in range(8, 40):
        tamper(
            "DELETE FROM auditlog_node WHERE level = %s AND (position + 1) * %s > %s",
            [level, 1 << level, position],
        )
    if drop_checkpoints:
        tamper("DELETE FROM auditlog_checkpoint WHERE size > %s", [position])
    grow(count, tag="forged")


@pytest.fixture
def signer_state(settings, tmp_path: Path) -> Path:
    """The signer keeps its memory in a file outside the database (and the data directory)."""
    path = tmp_path / "signer" / "state.json"
    settings.CONFIG = dataclasses.replace(django_settings.CONFIG, signer_state=path)
    return path


@pytest.fixture
def watchers():
    ciso, auditor = make_user("ciso1"), make_user("auditor1")
    RoleAssignment.objects.create(user=ciso, role=Role.objects.get(code="ciso"))
    RoleAssignment.objects.create(user=auditor, role=Role.objects.get(code="internal_auditor"))
    return ciso, auditor


def test_the_signer_refuses_a_rewritten_log_whose_later_checkpoints_were_deleted(
    signer_state, watchers
) -> None:
    grow(300)
    services.issue_checkpoint()
    grow(100)
    signed = services.issue_checkpoint()
    assert signed is not None
    cut = signed.size - 50
    rewrite_from(cut, 120)  # the later checkpoint is deleted: the database's last is before
    assert Checkpoint.objects.order_by("-size").first().size < cut
    with pytest.raises(SignerRefused) as refused:
        services.issue_checkpoint()
    message = str(refused.value)
    assert f"checkpoint {signed.size}" in message and bytes(signed.root).hex() in message
    assert Checkpoint.objects.order_by("-size").first().size < cut  # nothing was signed
    alert = Notification.objects.get(topic=ALERT_TOPIC)
    assert alert.severity == "critical" and str(signed.size) in alert.title_en
    recipients = {d.user.username for d in alert.deliveries.all()}
    assert {"ciso1", "auditor1"} <= recipients
    run = verify_and_record()  # `mamori log verify` names the divergence too
    assert not run.ok
    assert f"diverges at size {signed.size}" in run.problem
    assert bytes(signed.root).hex() in run.problem


def test_the_signer_refuses_a_log_cut_short(signer_state, watchers) -> None:
    grow(40)
    signed = services.issue_checkpoint()
    rewrite_from(30, 0)
    grow(5, tag="after")  # fewer entries than were signed, and the log still grows
    with pytest.raises(SignerRefused, match=f"checkpoint {signed.size} was signed"):
        services.issue_checkpoint()


def test_the_signer_refuses_a_checkpoint_contradicting_the_last_stored_one(watchers) -> None:
    """Without a state file the last stored checkpoint is still checked: a copy of the
    database grown differently never gets a checkpoint contradicting the previous one."""
    grow(300)
    signed = services.issue_checkpoint()
    rewrite_from(200, 150, drop_checkpoints=False)
    with pytest.raises(SignerRefused, match=f"diverges from checkpoint {signed.size}"):
        services.issue_checkpoint()
    assert Checkpoint.objects.order_by("-size").first().size == signed.size
    assert Notification.objects.filter(topic=ALERT_TOPIC).count() == 1


def test_the_signer_signs_a_log_that_grows_honestly_and_remembers_it(signer_state) -> None:
    from mamori.auditlog.signer import remembered

    grow(10)
    first = services.issue_checkpoint()
    grow(300)
    second = services.issue_checkpoint()
    assert first is not None and second is not None
    kept = remembered()
    assert kept is not None and kept.size == second.size and kept.note == second.note
    assert signer_state.stat().st_mode & 0o077 == 0
    assert verify_and_record().ok
