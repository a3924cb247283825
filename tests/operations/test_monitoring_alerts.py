"""Alertmanager's webhook into mamori (SRM 21-1): alerts kept once, matched by rules kept as
data to a service whose state they change, opening its incident once and noting it when
resolved — posted here as Alertmanager posts them."""

from __future__ import annotations

import pytest

from mamori.operations.models import Alert, Incident, ServiceState
from tests.operations.monitoring_world import bearer, rule, service

pytestmark = pytest.mark.django_db

URL = "/api/operations/alertmanager"


def payload(status: str, ends: str = "0001-01-01T00:00:00Z", **labels: str) -> dict:
    alert = {
        "status": status,
        "labels": {"alertname": "OrderApiDown", "service": "order-api", **labels},
        "annotations": {"summary": "order API answers 503"},
        "startsAt": "2026-12-07T01:00:00Z",
        "endsAt": ends,
        "fingerprint": "a1b2c3d4e5f60718",
        "generatorURL": "http://prometheus/graph",
    }
    return {
        "version": "4",
        "groupKey": '{}:{alertname="OrderApiDown"}',
        "status": status,
        "receiver": "mamori",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager",
        "truncatedAlerts": 0,
        "alerts": [alert],
    }


def post(client, body):
    return client.post(URL, body, content_type="application/json")


def test_a_firing_alert_puts_its_service_down_and_opens_one_incident() -> None:
    api = service()
    rule(api)
    client = bearer("monitoring:alerts")
    first = post(client, payload("firing"))
    assert first.status_code == 200, first.content
    assert first.json() == {"received": 1, "new": 1, "resolved": 0, "incidents": 1}
    again = post(client, payload("firing"))
    assert again.json() == {"received": 1, "new": 0, "resolved": 0, "incidents": 0}
    api.refresh_from_db()
    assert api.state == "down"
    incident = Incident.objects.get()
    assert incident.severity == "S2" and "order-api" in incident.title
    assert ServiceState.objects.get(service=api, ended_at__isnull=True).incident == incident


def test_a_resolved_alert_brings_the_service_up_and_notes_the_incident_left_open() -> None:
    api = service()
    rule(api)
    client = bearer("monitoring:alerts")
    post(client, payload("firing"))
    done = post(client, payload("resolved", ends="2026-12-07T01:20:00Z"))
    assert done.json()["resolved"] == 1
    api.refresh_from_db()
    assert api.state == "up"
    incident = Incident.objects.get()
    assert incident.status != "closed"
    assert any("resolved" in e.text for e in incident.timeline.all())
    assert [s.state for s in ServiceState.objects.filter(service=api).order_by("started_at")] == [
        "down",
        "up",
    ]
    assert post(client, payload("resolved", ends="2026-12-07T01:20:00Z")).json()["resolved"] == 0


def test_a_degrading_rule_without_an_incident_only_degrades_the_service() -> None:
    api = service()
    rule(api, state="degraded", open_incident=False)
    post(bearer("monitoring:alerts"), payload("firing"))
    api.refresh_from_db()
    assert api.state == "degraded" and not Incident.objects.exists()


def test_an_alert_no_rule_matches_is_kept_without_a_service() -> None:
    api = service()
    rule(api)
    post(bearer("monitoring:alerts"), payload("firing", service="elsewhere"))
    alert = Alert.objects.get()
    assert alert.service is None and not Incident.objects.exists()


def test_the_webhook_needs_the_alerts_scope_and_version_four() -> None:
    assert post(bearer("incidents:read"), payload("firing")).status_code == 403
    from django.test import Client

    assert post(Client(), payload("firing")).status_code == 401
    bad = post(bearer("monitoring:alerts"), {**payload("firing"), "version": "3"})
    assert bad.status_code == 422 and bad.json()["code"] == "bad_version"
    no_start = payload("firing")
    no_start["alerts"][0]["startsAt"] = "yesterday"
    assert post(bearer("monitoring:alerts"), no_start).status_code == 422


def test_an_alert_starting_at_no_such_time_is_refused_with_its_place() -> None:
    body = payload("firing")
    body["alerts"][0]["startsAt"] = "2026-13-45T00:00:00Z"
    refused = post(bearer("monitoring:alerts"), body)
    assert refused.status_code == 422
    assert refused.json()["fields"][0]["field"] == "alerts[0].startsAt"
