"""The incident API with token scopes, the signed alert webhook and the NATS intake
(SRM 6-1-3, 7-3; ISM 8-1-3, 9-3)."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mamori.accounts.models import RoleAssignment
from mamori.accounts.services import tokens
from mamori.operations.models import Incident
from mamori.operations.services import alerts, incidents
from tests.conftest import client_for, give, make_user

NATS_URL = os.environ.get("MAMORI_TEST_NATS_URL", "nats://127.0.0.1:4222")


@pytest.fixture
def crew(db):
    return {
        "sgm": give(make_user("sgm-kato"), "system_general_manager"),
        "operator": give(make_user("op-mori"), "operator"),
        "board": give(make_user("board-ito"), "board_member"),
    }


def bearer(user, *scopes: str) -> Client:
    issued = tokens.issue("client", list(scopes), 30, user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")


def post(client: Client, url: str, body: dict):
    return client.post(url, body, content_type="application/json")


def test_a_token_reports_reads_and_runs_an_incident_within_its_scopes(crew) -> None:
    reporter = bearer(crew["operator"], "incidents:report")
    made = post(reporter, "/api/operations/incidents", {"title": "API 500", "location": "gw-1"})
    assert made.status_code == 201, made.content
    reference = made.json()["reference"]
    assert made.json()["commander"] == "sgm-kato"
    assert reporter.get("/api/operations/incidents").status_code == 403  # not incidents:read
    nowhere = post(reporter, "/api/operations/incidents", {"title": "x", "location": " "})
    assert nowhere.status_code == 422 and nowhere.json()["code"] == "location_required"
    reader = bearer(crew["board"], "incidents:read")
    listed = reader.get("/api/operations/incidents?status=reported").json()
    assert [i["reference"] for i in listed["items"]] == [reference]
    assert reader.get("/api/operations/incidents?kind=bogus").status_code == 422
    assert reader.get("/api/operations/incidents?kind=cyber_attack").json()["count"] == 0
    detail = reader.get(f"/api/operations/incidents/{reference}").json()
    assert [e["kind"] for e in detail["timeline"]][:2] == ["reported", "commander"]
    assert reader.get("/api/operations/incidents/INC-1999-001").status_code == 404
    assert (
        post(reader, f"/api/operations/incidents/{reference}/notes", {"text": "x"}).status_code
        == 403
    )
    # a token whose issuer no longer holds the permission is refused too
    csirt = give(make_user("csirt-ueda"), "csirt_member")
    former = bearer(csirt, "incidents:write")
    RoleAssignment.objects.filter(user=csirt).update(revoked_at=timezone.now())
    late = post(former, f"/api/operations/incidents/{reference}/notes", {"text": "x"})
    assert late.status_code == 403
    writer = bearer(crew["sgm"], "incidents:write")
    noted = post(writer, f"/api/operations/incidents/{reference}/notes", {"text": "Rolled back"})
    assert noted.status_code == 201 and noted.json()["timeline"][-1]["text"] == "Rolled back"
    closed = post(writer, f"/api/operations/incidents/{reference}/status", {"status": "closed"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = post(writer, f"/api/operations/incidents/{reference}/status", {"status": "responding"})
    assert again.status_code == 409 and again.json()["code"] == "incident_closed"
    bad = post(writer, f"/api/operations/incidents/{reference}/notes", {"text": "late"})
    assert bad.status_code == 409


def test_a_session_reads_with_its_roles_but_cannot_post_an_alert(crew) -> None:
    incidents.report("Login slow", "web", crew["operator"])
    session = client_for(crew["board"])
    assert session.get("/api/operations/incidents").json()["count"] == 1
    alert = session.post("/api/operations/alerts", {}, content_type="application/json")
    assert alert.status_code == 401  # only a source's signature opens it
    nobody = client_for(make_user("nobody"))
    assert nobody.get("/api/operations/incidents").status_code == 403


def _alert(key: str = "a-1", **changes) -> dict:
    body = {
        "source": "zabbix",
        "key": key,
        "title": "Disk full on db-1",
        "kind": "system_failure",
        "severity": "S2",
        "location": "db-1",
        "detected_at": (timezone.now() - timedelta(minutes=3)).isoformat(),
        "systems": ["trading-db"],
        "assets": [],
    }
    body.update(changes)
    return body


def _signed(secret: str, body: dict, source: str = "zabbix", at: int | None = None):
    raw = json.dumps(body).encode()
    stamp = str(at if at is not None else int(time.time()))
    return Client().post(
        "/api/operations/alerts",
        raw,
        content_type="application/json",
        HTTP_X_MAMORI_SOURCE=source,
        HTTP_X_MAMORI_TIMESTAMP=stamp,
        HTTP_X_MAMORI_SIGNATURE=alerts.sign(secret, stamp, raw),
    )


def test_a_signed_alert_raises_one_incident_and_a_bad_or_replayed_one_is_refused(crew) -> None:
    client = client_for(crew["sgm"])
    page = client.post("/operations/alert-sources/", {"code": "zabbix", "name": "Zabbix"})
    secret = page.content.decode().split("<code>")[1].split("</code>")[0]
    assert len(secret) > 30
    made = _signed(secret, _alert())
    assert made.status_code == 201 and made.json()["new"] is True
    incident = Incident.objects.get(reference=made.json()["incident"])
    assert incident.source == "webhook" and incident.severity == "S2"
    assert incident.systems == ["trading-db"] and incident.commander == crew["sgm"]
    assert "zabbix" in incident.severity_rule
    resent = _signed(secret, _alert())  # the same (source, key): nothing new
    assert resent.status_code == 200 and resent.json() == {
        "incident": incident.reference,
        "new": False,
    }
    stale = _signed(secret, _alert("a-2"), at=int(time.time()) - 900)  # a replay of old traffic
    assert stale.status_code == 401 and stale.json()["code"] == "stale_timestamp"
    forged = _signed("not-the-secret", _alert("a-3"))
    assert forged.status_code == 401 and forged.json()["code"] == "bad_signature"
    unknown = _signed(secret, _alert("a-4"), source="nagios")
    assert unknown.status_code == 401 and unknown.json()["code"] == "unknown_source"
    other = _signed(secret, _alert("a-5", source="nagios"))
    assert other.status_code == 403 and other.json()["code"] == "source_mismatch"
    bad = _signed(secret, _alert("a-6", kind="meteor", detected_at="yesterday"))
    assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "kind"
    no_time = _signed(secret, _alert("a-7", detected_at="2026-01-01T00:00:00"))
    assert no_time.status_code == 422 and no_time.json()["fields"][0]["field"] == "detected_at"
    assert Incident.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_alerts_on_nats_raise_one_incident_each_and_a_bad_one_is_dropped() -> None:
    from mamori.events import bus
    from mamori.events.nats import NatsBus
    from mamori.testing.pytest_plugin import need_service

    need_service("NATS", NATS_URL)
    give(make_user("sgm-kato"), "system_general_manager")
    alerts.rotate_secret("siem", "SIEM")
    tag = uuid.uuid4().hex[:8]
    real = NatsBus(NATS_URL, stream=f"MAMORI_T{tag}", prefix=f"t{tag}")
    real.ensure_stream()
    try:
        events = [
            ("bus-1", _alert("n-1", source="siem")),
            ("bus-2", _alert("n-1", source="siem")),  # the same alert resent under a new id
            ("bus-3", _alert("n-3", source="siem", title="")),  # malformed
            ("bus-4", _alert("n-4", source="forged")),  # no such source: dropped
        ]
        for bus_id, data in events:
            event = bus.Event(alerts.SUBJECT, bus_id, data, timezone.now())
            real.deliver(event)
            real.deliver(event)  # a producer retry: JetStream keeps one
        assert real.consume(20, 2.0) == 4
        incident = Incident.objects.get()
        assert incident.source == "nats" and incident.source_key == "alert:siem:n-1"
        assert real.consume(20, 0.5) == 0  # acknowledged: nothing comes back
    finally:
        real.delete_stream()
