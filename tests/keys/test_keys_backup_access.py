"""Detection of access to key backups (ISM 28-3-5): sites report accesses by a signed webhook or
on NATS; an access inside an approved ceremony's window at the backup's site is expected, any
other alerts the CISO and the wallet's responsible person at once and stays an open finding
(KEY-03 red) until acknowledged with a reason; a resend records nothing new."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mamori.keys import backup_access, compliance
from mamori.keys.models import Backup, BackupAccess, BackupSiteSecret, Ceremony
from mamori.notifications.models import Notification
from tests.conftest import client_for
from tests.keys.helpers import hot_wallet
from tests.keys.test_keys_secrets import MNEMONIC

NATS_URL = os.environ.get("MAMORI_TEST_NATS_URL", "nats://127.0.0.1:4222")


def _setup():
    inv = hot_wallet()
    backup = Backup.objects.create(
        key=inv.wallet.keys.get(label="hot-a"),
        label="hot-a-bk",
        site=inv.sites["osaka-dc"],
        holder=inv.holders["tanaka"],
        encryption="AES-256-GCM",
        access_rights="tanaka",
        access_detection="vault-door webhook",
    )
    return inv, backup


def _ceremony(inv, state: str = "approved") -> Ceremony:
    now = timezone.now()
    ceremony = Ceremony.objects.create(
        title="backup check osaka",
        kind="backup_check",
        wallet=inv.wallet,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        script="Open the vault",
        planned_by=inv.ciso,
        state=state,
    )
    ceremony.sites.set([inv.sites["osaka-dc"]])
    return ceremony


def _event(event_id: str, at=None, **changes) -> dict:
    body = {
        "event_id": event_id,
        "backup": "hot-a-bk",
        "kind": "vault_opened",
        "actor": "tanaka",
        "at": (at or timezone.now()).isoformat(),
    }
    body.update(changes)
    return body


def _post(secret: str, body: dict, *, site="osaka-dc", ts=None, signature=None):
    raw = json.dumps(body).encode()
    ts = str(int(time.time()) if ts is None else ts)
    headers = {
        "HTTP_X_MAMORI_SITE": site,
        "HTTP_X_MAMORI_TIMESTAMP": ts,
        "HTTP_X_MAMORI_SIGNATURE": signature or backup_access.sign(secret, ts, raw),
        "HTTP_ACCEPT_LANGUAGE": "en",
    }
    return Client().post("/api/keys/backup-events", raw, content_type="application/json", **headers)


@pytest.mark.django_db
def test_a_bad_signature_or_an_old_timestamp_is_refused_with_the_reason_and_nothing_recorded(
    english,
) -> None:
    inv, _backup = _setup()
    _row, secret = backup_access.rotate_secret(inv.sites["osaka-dc"], inv.ciso)
    assert secret not in BackupSiteSecret.objects.get().secret_encrypted  # encrypted at rest
    body = _event("e-1")
    cases = [
        (_post("not-the-secret", body), "bad_signature", "does not match"),
        (_post(secret, body, ts=int(time.time()) - 600), "stale_timestamp", "600 seconds"),
        (_post(secret, body, ts="yesterday"), "timestamp_missing", "Unix seconds"),
        (_post(secret, body, signature="abc"), "signature_missing", "sha256="),
        (_post(secret, body, site="tokyo-hq"), "unknown_site", "no event secret"),
    ]
    for answer, code, said in cases:
        assert answer.status_code == 401, answer.content
        assert answer.json()["code"] == code
        assert said in answer.json()["message"]
    raw = json.dumps(body).encode()
    ts = str(int(time.time()))
    tampered = Client().post(  # signed, then the body changed on the way
        "/api/keys/backup-events",
        raw.replace(b"tanaka", b"mallory"),
        content_type="application/json",
        HTTP_X_MAMORI_SITE="osaka-dc",
        HTTP_X_MAMORI_TIMESTAMP=ts,
        HTTP_X_MAMORI_SIGNATURE=backup_access.sign(secret, ts, raw),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert tampered.status_code == 401 and tampered.json()["code"] == "bad_signature"
    bad_body = _post(secret, _event("e-2", kind="door_kicked"))
    assert bad_body.status_code == 422 and "kind must be one of" in bad_body.json()["message"]
    secret_actor = _post(secret, _event("e-3", actor=MNEMONIC))
    assert secret_actor.status_code == 422 and secret_actor.json()["code"] == "secret_refused"
    assert "legal winner" not in secret_actor.content.decode()
    assert not BackupAccess.objects.exists()
    assert not Notification.objects.filter(topic="keys.backup_access").exists()


@pytest.mark.django_db
def test_an_access_during_an_approved_ceremony_is_expected_any_other_alerts_at_once(
    english,
) -> None:
    inv, backup = _setup()
    assert compliance.backup_access_detected().evidence == {"measured": False}
    _row, secret = backup_access.rotate_secret(inv.sites["osaka-dc"], inv.ciso)
    assert compliance.backup_access_detected().passed  # a source, no finding
    ceremony = _ceremony(inv)

    during = _post(secret, _event("e-1"))
    assert during.status_code == 201
    assert during.json()["recorded"] == [
        {"backup": "hot-a-bk", "expected": True, "ceremony": ceremony.pk}
    ]
    assert not Notification.objects.filter(topic="keys.backup_access").exists()

    outside = _post(
        secret,
        _event("e-2", at=timezone.now() - timedelta(days=1), kind="share_checked_out", actor="x"),
    )
    assert outside.json()["recorded"][0]["expected"] is False
    told = Notification.objects.get(topic="keys.backup_access")
    assert told.severity == "critical" and told.requires_ack
    assert "hot-a-bk" in told.title_en
    recipients = [r for level in told.levels for r in level]
    assert {"role": "ciso", "department": None} in recipients
    assert {"user": "watanabe"} in recipients  # the wallet's responsible

    abandoned = _ceremony(inv, state="abandoned")  # an abandoned ceremony covers nothing
    assert abandoned.pk
    later = backup_access.record(_event("e-3", kind="hsm_login"), "webhook")
    assert [a.expected for a in later.new] == [True]  # still the approved one

    check = compliance.backup_access_detected()
    assert not check.passed and "unacknowledged unexpected access: hot-a-bk e-2" in check.summary_en

    client = client_for(inv.ciso)
    page = client.get("/keys/backup-access/findings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "e-2" in page and "e-1" not in page
    per_backup = client.get(f"/keys/backups/{backup.pk}/accesses/", HTTP_ACCEPT_LANGUAGE="en")
    assert "e-1" in per_backup.content.decode() and "e-2" in per_backup.content.decode()
    finding = BackupAccess.objects.get(event_id="e-2")
    client.post(f"/keys/backup-access/{finding.pk}/acknowledge/", {"reason": ""})
    finding.refresh_from_db()
    assert finding.acknowledged_at is None  # a reason is needed
    client.post(
        f"/keys/backup-access/{finding.pk}/acknowledge/",
        {"reason": "courier swap agreed by phone with the CISO"},
    )
    finding.refresh_from_db()
    assert finding.acknowledged_by == inv.ciso
    assert compliance.backup_access_detected().passed


@pytest.mark.django_db
def test_a_resend_records_nothing_new_and_a_site_reports_only_its_own_backups(english) -> None:
    inv, _backup = _setup()
    _row, secret = backup_access.rotate_secret(inv.sites["osaka-dc"], inv.ciso)
    body = _event("e-9", at=timezone.now() - timedelta(days=1))
    first = _post(secret, body)
    again = _post(secret, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {"event_id": "e-9", "recorded": [], "duplicate": True}
    assert BackupAccess.objects.count() == 1
    assert Notification.objects.filter(topic="keys.backup_access").count() == 1
    _row, tokyo = backup_access.rotate_secret(inv.sites["tokyo-hq"], inv.ciso)
    other = _post(tokyo, _event("e-10"), site="tokyo-hq")
    assert other.status_code == 403 and other.json()["code"] == "wrong_site"
    assert BackupAccess.objects.count() == 1


@pytest.mark.django_db
def test_the_site_secret_is_shown_once_and_rotating_it_retires_the_old_one() -> None:
    inv, _backup = _setup()
    client = client_for(inv.ciso)
    page = client.post("/keys/backup-sources/", {"site": inv.sites["osaka-dc"].pk})
    text = page.content.decode()
    start = text.index('id="secret-once"')
    secret = text[start:].split("<pre data-raw>")[1].split("</pre>")[0]
    assert len(secret) > 30
    assert secret not in client.get("/keys/backup-sources/").content.decode()
    assert _post(secret, _event("e-1")).status_code == 201
    client.post("/keys/backup-sources/", {"site": inv.sites["osaka-dc"].pk})
    assert _post(secret, _event("e-2")).json()["code"] == "bad_signature"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_events_on_nats_are_recorded_once_and_classified() -> None:
    from mamori.events import bus
    from mamori.events.nats import NatsBus
    from mamori.testing.pytest_plugin import need_service

    need_service("NATS", NATS_URL)
    inv, _backup = _setup()
    assert compliance.backup_access_detected().evidence == {"measured": False}
    _ceremony(inv)
    tag = uuid.uuid4().hex[:8]
    real = NatsBus(NATS_URL, stream=f"MAMORI_T{tag}", prefix=f"t{tag}")
    real.ensure_stream()
    try:
        now = timezone.now()
        events = [
            ("bus-1", _event("n-1", at=now)),
            ("bus-2", _event("n-2", at=now - timedelta(days=1), kind="hsm_login")),
            ("bus-3", _event("n-2", at=now - timedelta(days=1), kind="hsm_login")),  # resent
            ("bus-4", {"event_id": "n-4", "backup": "hot-a-bk"}),  # malformed
        ]
        for bus_id, data in events:
            event = bus.Event(backup_access.SUBJECT, bus_id, data, timezone.now())
            real.deliver(event)
            real.deliver(event)  # a producer retry: JetStream keeps one
        handled = real.consume(20, 2.0)
        assert handled == 4
        assert dict(BackupAccess.objects.values_list("event_id", "expected")) == {
            "n-1": True,
            "n-2": False,
        }
        assert dict(BackupAccess.objects.values_list("event_id", "channel")) == {
            "n-1": "nats",
            "n-2": "nats",
        }
        assert Notification.objects.filter(topic="keys.backup_access").count() == 1
        assert real.consume(20, 0.5) == 0  # acknowledged: nothing comes back
        check = compliance.backup_access_detected()
        assert check.evidence["measured"] is True and not check.passed
    finally:
        real.delete_stream()


@pytest.mark.django_db
def test_the_demo_shows_a_completed_and_a_running_ceremony_and_one_access_that_alerted() -> None:
    from mamori.core.demo import load_demo

    report = load_demo()
    assert any("ceremonies" in line for line in report.lines)
    assert dict(Ceremony.objects.values_list("title", "state")) == {
        "btc-cold 鍵生成 / key generation": "completed",
        "btc-hot バックアップ点検（大阪） / backup check, Osaka": "in_progress",
    }
    assert Ceremony.objects.get(kind="generation").output_matched is True
    assert dict(BackupAccess.objects.values_list("event_id", "expected")) == {
        "osaka-vault-0001": True,
        "osaka-vault-0000": False,
    }
    assert Notification.objects.filter(topic="keys.backup_access").count() == 1
    assert not compliance.backup_access_detected().passed
    load_demo()  # again: nothing doubled
    assert Ceremony.objects.count() == 2 and BackupAccess.objects.count() == 2
