"""Every model of mamori's apps is audited through its manager, with nothing of Django's
replaced; on PostgreSQL a write that bypasses the ORM is caught by a trigger and recorded."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, models, transaction
from django.db.models import F
from django.db.models.query import QuerySet
from django.test.utils import isolate_apps
from django.utils import timezone

from mamori.accounts.models import Department, User
from mamori.auditlog import bypass, choke
from mamori.auditlog.audited import AuditedManager, AuditedModel, unaudited_models
from mamori.auditlog.models import Bypass, Entry
from mamori.custody.fastpath import fastdb
from mamori.custody.models import Asset, MonitorRecord, ThresholdRule
from mamori.scheduler.services import run_now
from tests.conftest import make_user

#: Models of mamori's apps that may be written without the audited manager, and why.
NOT_AUDITED = {
    # the log itself (runs, nodes, checkpoints, search index), its signing keys, verification
    # runs, publications and the bypass rows: append-only or written by the log's own code;
    # recording them would record the log in itself
    "auditlog": "the audit log's own tables",
}


def mamori_models() -> list[type[models.Model]]:
    """Every model of mamori's apps, the link tables of ManyToManyFields included."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if apps.get_app_config(model._meta.app_label).name.startswith("mamori.")
        and model._meta.app_label not in NOT_AUDITED
    ]


def bodies(object_type: str, action: str | None = None) -> list[dict[str, Any]]:
    found = Entry.objects.filter(object_type=object_type).order_by("position")
    if action is not None:
        found = found.filter(action=action)
    return [json.loads(entry.body) for entry in found]


def test_every_model_of_mamoris_apps_uses_the_audited_manager() -> None:
    found = mamori_models()
    assert len(found) > 50 and any(model._meta.auto_created for model in found)
    assert unaudited_models(found) == []


def test_a_model_without_the_audited_manager_is_found() -> None:
    with isolate_apps("mamori.custody"):

        class Plain(models.Model):  # noqa: DJ008
            class Meta:
                app_label = "custody"

        class OwnManager(AuditedModel):
            objects = models.Manager()  # type: ignore[var-annotated]

            class Meta:
                app_label = "custody"

        class Derived(AuditedModel):
            objects = AuditedManager()  # type: ignore[var-annotated]
            links = models.ManyToManyField("Plain")

            class Meta:
                app_label = "custody"

        link = Derived._meta.get_field("links").remote_field.through  # type: ignore[union-attr]
        found = unaudited_models([Plain, OwnManager, Derived, link])
    assert found == ["custody.plain", "custody.ownmanager"]


def test_nothing_of_djangos_queryset_is_replaced() -> None:
    from django.db.models import query

    assert QuerySet.update.__module__ == query.__name__
    assert QuerySet.bulk_create.__module__ == query.__name__
    assert QuerySet.bulk_update.__module__ == query.__name__


@pytest.mark.django_db
def test_an_update_records_digests_that_chain_with_saves() -> None:
    department = Department.objects.create(code="ops", name_ja="運用部", name_en="Operations")
    other = Department.objects.create(code="sec", name_ja="情報", name_en="Security")
    updated = Department.objects.filter(code__in=["ops", "sec"]).update(name_en=F("code"))
    assert updated == 2
    created = {body["object"]["id"]: body for body in bodies("accounts.department", "create")}
    changes = {body["object"]["id"]: body for body in bodies("accounts.department", "update")}
    for row in (department, other):
        assert changes[str(row.pk)]["before"] == created[str(row.pk)]["after"]
    department.refresh_from_db()
    assert department.name_en == "ops"
    department.name_ja = "運用"
    department.save()
    saved = bodies("accounts.department", "update")[-1]
    # the row the update returned is the row a later save reads: the digests chain
    assert saved["before"] == changes[str(department.pk)]["after"]


@pytest.mark.django_db
def test_the_row_an_update_returns_is_the_row_read_back() -> None:
    from decimal import Decimal

    asset = Asset.objects.create(
        code="TST", name="Test", chain="test", decimals=0, unknown_address="allow"
    )
    rule = ThresholdRule.objects.create(
        code="single",
        direction="withdrawal",
        scope="single",
        level="hold",
        asset=asset,
        limit_units=10**30,
    )
    record = MonitorRecord.objects.create(
        kind="event", event_id="e", row={"a": [1, "x"]}, recorded_at=timezone.now()
    )
    ThresholdRule.objects.filter(pk=rule.pk).update(
        limit_units=10**70, limit_jpy=Decimal("1234.5"), active=False
    )
    MonitorRecord.objects.filter(pk=record.pk).update(
        row={"b": {"c": None}}, reasons=["r"], recorded_at=timezone.now()
    )
    for model, pk in ((ThresholdRule, rule.pk), (MonitorRecord, record.pk)):
        (update,) = bodies(choke.label(model), "update")
        stored = model.objects.filter(pk=pk).values(*choke.field_names(model)).get()
        assert update["after"] == choke.row_digest(stored)


@pytest.mark.django_db
def test_an_update_records_only_the_rows_it_changed() -> None:
    Department.objects.create(code="a", name_ja="a", name_en="a")
    Department.objects.create(code="b", name_ja="b", name_en="b")
    assert Department.objects.filter(code="zz").update(name_en="x") == 0
    assert Department.objects.filter(code="a").update(name_en="x") == 1
    assert [body["object"]["id"] for body in bodies("accounts.department", "update")] == [
        str(Department.objects.get(code="a").pk)
    ]


@pytest.mark.django_db
def test_a_bulk_update_records_each_row_once() -> None:
    rows = Department.objects.bulk_create(
        [Department(code=f"d{i}", name_ja="x", name_en="x") for i in range(3)]
    )
    for row in rows:
        row.name_en = f"renamed {row.code}"
    assert Department.objects.bulk_update(rows, ["name_en"]) == 3
    changes = bodies("accounts.department", "update")
    assert sorted(body["object"]["id"] for body in changes) == sorted(str(r.pk) for r in rows)
    assert all(body["before"] != body["after"] for body in changes)


@pytest.mark.django_db
def test_links_of_a_many_to_many_field_are_recorded_both_ways() -> None:
    user = make_user("ann")
    group = Group.objects.create(name="auditors")
    user.groups.add(group)
    assert len(bodies("accounts.user_groups", "create")) == 1
    user.groups.remove(group)
    (removed,) = bodies("accounts.user_groups", "delete")
    assert removed["before"] and removed["after"] is None


@pytest.mark.django_db
def test_a_cascade_through_the_base_manager_is_recorded() -> None:
    boss, worker = make_user("boss"), make_user("worker")
    worker.manager = boss
    worker.save()
    before = len(bodies("accounts.user", "update"))
    User.objects.filter(pk=boss.pk).delete()  # on_delete=SET_NULL updates the worker
    updates = bodies("accounts.user", "update")[before:]
    assert [body["object"]["id"] for body in updates] == [str(worker.pk)]
    assert bodies("accounts.user", "delete")[-1]["object"]["id"] == str(boss.pk)


# PostgreSQL: the writes that bypass the ORM


@pytest.fixture
def postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the bypass triggers are PostgreSQL's")


def test_the_orms_writes_leave_nothing_for_the_triggers(db, postgresql) -> None:
    department = Department.objects.create(code="ops", name_ja="運用部", name_en="Operations")
    department.name_en = "Ops"
    department.save()
    Department.objects.filter(pk=department.pk).update(name_en="O")
    Department.objects.bulk_update([department], ["name_ja"])
    rows = Department.objects.bulk_create([Department(code="x", name_ja="x", name_en="x")])
    user = make_user("ann")
    group = Group.objects.create(name="auditors")
    user.groups.add(group)
    user.groups.remove(group)
    boss = make_user("boss")
    User.objects.filter(pk=user.pk).update(manager=boss)
    boss.delete()  # a cascade: the user's manager is set to null
    rows[0].delete()
    Department.objects.filter(code="ops").delete()
    fastdb.insert(MonitorRecord(kind="event", event_id="e1", row={}, recorded_at=timezone.now()))
    assert list(Bypass.objects.values_list("table_name", "operation")) == []
    assert bodies("custody.monitorrecord", "create")  # the fast insert recorded itself


def test_every_audited_table_has_the_bypass_triggers(db, postgresql) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname IN ('mamori_bypass', 'mamori_bypass_truncate')"
        )
        found = set(cursor.fetchall())
    tables = bypass.audited_tables()
    assert "custody_monitorrecord" in tables and "accounts_user_groups" in tables
    for table in tables:
        assert (table, "mamori_bypass") in found
        assert (table, "mamori_bypass_truncate") in found
    assert not any(table.startswith("auditlog_") for table, _ in found)


def test_a_raw_update_is_recorded_in_the_log(db, postgresql) -> None:
    department = Department.objects.create(code="ops", name_ja="運用部", name_en="Operations")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_department SET name_en = 'x' WHERE id = %s", [department.pk]
        )
        cursor.execute(
            "INSERT INTO events_processedevent (consumer, event_id, processed_at)"
            " VALUES ('c', 'e', now())"
        )
        cursor.execute("DELETE FROM events_processedevent")
        cursor.execute("SELECT txid_current()")
        (xact,) = cursor.fetchone()
    assert Bypass.objects.count() == 3  # kept in the writer's own transaction
    run = run_now("auditlog.checkpoint")  # the job records them before it signs
    assert json.loads(run.output)["bypassed"] == 3
    assert Bypass.objects.count() == 0
    (update,) = bodies("accounts.department", "sql.update")
    assert update["object"] == {"type": "accounts.department", "id": str(department.pk)}
    assert update["actor"] == f"db:{connection.settings_dict['USER'] or 'postgres'}"
    assert update["request_id"] == f"pg-xact:{xact}"
    details = update["details"]
    assert details["table"] == "accounts_department"
    assert len(details["row_before"]) == 64 and details["row_before"] != details["row_after"]
    assert "Operations" not in json.dumps(update)  # digests, never the values
    inserted, deleted = bodies("events.processedevent")
    assert (inserted["action"], deleted["action"]) == ("sql.insert", "sql.delete")
    assert inserted["details"]["row_after"] == deleted["details"]["row_before"]


def test_a_truncate_is_recorded(db, postgresql) -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE events_processedevent")
    assert bypass.drain() == 1
    (truncated,) = bodies("events.processedevent", "sql.truncate")
    assert truncated["object"] == {"type": "events.processedevent", "id": ""}


def test_what_the_triggers_caught_is_kept_until_recorded(db, postgresql) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO events_processedevent (consumer, event_id, processed_at)"
            " VALUES ('c', 'e', now())"
        )
    for statement in (
        "DELETE FROM auditlog_bypass",
        "UPDATE auditlog_bypass SET row_id = ''",
        "TRUNCATE auditlog_bypass",
    ):
        with pytest.raises(DatabaseError, match="kept until logged"), transaction.atomic():
            connection.cursor().execute(statement)
    assert Bypass.objects.count() == 1
