"""mamori's own health: /metrics in Prometheus' text format for a token with metrics:read (and
nobody else by default), /healthz without the database, /readyz 503 when the scheduler's
heartbeat is stale; the sample Prometheus files in docs/monitoring are well formed."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.test import Client, override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from mamori.accounts.services import tokens
from mamori.operations.metrics_health import FAMILIES
from mamori.scheduler.models import JobRun
from tests.conftest import client_for, make_user

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "monitoring"


def _families(text: str) -> dict[str, object]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def _heartbeat(age: timedelta) -> None:
    started = timezone.now() - age
    JobRun.objects.create(
        job="scheduler.heartbeat-test",
        slot=started,
        status=JobRun.Status.SUCCEEDED,
        started_at=started,
        finished_at=started + timedelta(seconds=1),
    )


def test_metrics_answer_a_token_with_the_scope_in_prometheus_text_format(db: None) -> None:
    admin = make_user("metrics-admin", superuser=True)
    issued = tokens.issue("prometheus", ["metrics:read"], 30, admin)
    _heartbeat(timedelta(minutes=3))
    answer = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/plain")
    found = _families(answer.content.decode())
    # counters are exposed without their _total suffix in the family name
    names = {name.removesuffix("_total") for name in found}
    assert {name for name in FAMILIES} <= names, set(FAMILIES) - names
    [sample] = [
        s
        for s in found["mamori_scheduler_job_runs"].samples
        if s.labels.get("job") == "scheduler.heartbeat-test" and s.name.endswith("_total")
    ]
    assert sample.value == 1 and sample.labels["status"] == "succeeded"
    [age] = found["mamori_scheduler_last_success_age_seconds"].samples
    assert 150 <= age.value <= 400


def test_metrics_refuse_anyone_without_the_scope_and_localhost_only_when_allowed(
    db: None,
) -> None:
    other = tokens.issue("other", ["incidents:read"], 30, None)
    assert Client().get("/metrics").status_code == 403
    assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {other.secret}").status_code == 403
    assert client_for(make_user("nobody")).get("/metrics").status_code == 403
    with override_settings(MAMORI_METRICS_ALLOW_LOCALHOST=True):
        assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
        assert Client(REMOTE_ADDR="10.0.0.8").get("/metrics").status_code == 403
        forwarded = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
        assert forwarded.get("/metrics").status_code == 403


def test_healthz_answers_without_the_database() -> None:
    answer = Client().get("/healthz")  # no django_db: touching the database would fail
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_readyz_is_ready_with_a_fresh_heartbeat_and_503_when_it_is_stale(db: None) -> None:
    no_runs = Client().get("/readyz")
    assert no_runs.status_code == 503 and no_runs.json()["checks"]["scheduler"] is False
    _heartbeat(timedelta(minutes=2))
    ready = Client().get("/readyz")
    assert ready.status_code == 200, ready.json()
    assert ready.json()["checks"] == {
        "database": True,
        "migrations": True,
        "scheduler": True,
        "scheduler_age_seconds": ready.json()["checks"]["scheduler_age_seconds"],
    }
    with override_settings(MAMORI_READYZ_SCHEDULER_MAX_AGE=60):
        stale = Client().get("/readyz")
    assert stale.status_code == 503 and stale.json()["status"] == "not ready"


def test_the_sample_scrape_config_and_alert_rules_are_well_formed() -> None:
    scrape = yaml.safe_load((DOCS / "prometheus.yml").read_text())
    [job] = [j for j in scrape["scrape_configs"] if j["job_name"] == "mamori"]
    assert job["metrics_path"] == "/metrics"
    assert "authorization" in job or "bearer_token_file" in job
    assert "mamori-rules.yml" in scrape["rule_files"][0]
    rules = yaml.safe_load((DOCS / "mamori-rules.yml").read_text())
    exposed = set(FAMILIES) | {f"{name}_total" for name in FAMILIES}
    seen = []
    for group in rules["groups"]:
        assert group["name"] and group["rules"]
        for rule in group["rules"]:
            assert set(rule) >= {"alert", "expr", "labels", "annotations"}, rule
            assert rule["labels"]["severity"] in ("critical", "warning")
            assert "summary" in rule["annotations"]
            assert rule["expr"].startswith("up{") or any(n in rule["expr"] for n in exposed)
            seen.append(rule["alert"])
    assert len(seen) == len(set(seen)) >= 5
    promtool = shutil.which("promtool")
    if promtool:
        subprocess.run([promtool, "check", "rules", str(DOCS / "mamori-rules.yml")], check=True)
