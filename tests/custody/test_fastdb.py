"""Prepared reads and inserts give what the ORM gives, and inserts are in the audit log."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from mamori.accounts.models import ApiToken
from mamori.accounts.services import tokens
from mamori.auditlog.choke import row_digest
from mamori.auditlog.models import Entry
from mamori.custody.fastpath.fastdb import Prepared, insert
from mamori.custody.models import MonitorRecord
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

BY_PREFIX: Prepared[ApiToken] = Prepared(
    lambda prefix: ApiToken.objects.filter(prefix=prefix), "\x00sample"
)
AFTER: Prepared[MonitorRecord] = Prepared(
    lambda after: MonitorRecord.objects.filter(pk__gt=after).order_by("pk")[:2], -1234567
)


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_a_prepared_read_gives_the_instance_the_orm_gives() -> None:
    issued = tokens.issue("reader", ["custody:read", "risk:read"], 30, None)
    issued.token.created_by = make_user("maker")
    issued.token.save(update_fields=["created_by"])
    found = BY_PREFIX.first(issued.token.prefix)
    expected = ApiToken.objects.get(pk=issued.token.pk)
    assert found is not None and _fields(found) == _fields(expected)
    assert found.scopes == ["custody:read", "risk:read"] and found.expires_at.tzinfo
    assert found.created_by == expected.created_by and found.is_usable
    assert BY_PREFIX.first("no-such-prefix") is None


def test_a_prepared_read_keeps_the_order_and_the_limit_of_its_queryset() -> None:
    now = timezone.now()
    made = [
        MonitorRecord.objects.create(kind="event", event_id=f"e{i}", row=[i], recorded_at=now)
        for i in range(5)
    ]
    first = AFTER.all(made[0].pk)
    assert [r.event_id for r in first] == ["e1", "e2"] and first[0].row == [1]
    assert [r.event_id for r in AFTER.all(first[-1].pk)] == ["e3", "e4"]


def test_a_sample_that_is_not_in_the_query_once_is_refused() -> None:
    twice = Prepared(
        lambda v: ApiToken.objects.filter(prefix=v) | ApiToken.objects.filter(name=v), "\x00s"
    )
    with pytest.raises(ValueError, match="must appear once"):
        twice.first("x")


def test_an_insert_is_stored_as_the_orm_stores_it_and_recorded_in_the_log() -> None:
    at = timezone.now() - timedelta(minutes=3)
    record = insert(
        MonitorRecord(
            kind="event",
            event_id="fast-1",
            row=[1, "fast-1", 5, "c", "BTC", "7", ""],
            action="allow",
            reasons=[{"code": "threshold.notify", "message": "決済"}],
            recorded_at=at,
        )
    )
    stored = MonitorRecord.objects.get(pk=record.pk)
    assert _fields(stored) == _fields(record)
    entry = Entry.objects.get(object_type="custody.monitorrecord", object_id=str(record.pk))
    body = json.loads(entry.body)
    assert entry.action == "create" and body["before"] is None
    assert body["after"] == row_digest(_fields(stored))
    orm = MonitorRecord.objects.create(
        kind="event", event_id="orm-1", row=[1], action="allow", reasons=[], recorded_at=at
    )
    made = json.loads(
        Entry.objects.get(object_type="custody.monitorrecord", object_id=str(orm.pk)).body
    )
    assert made["after"] == row_digest(_fields(orm))  # the same digest of the same row shape
    assert set(made) == set(body)
