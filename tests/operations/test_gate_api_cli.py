"""The deploy gate from the pipeline's side (SRM 19): ``POST /api/changes/{ref}/gate`` with the
``changes:gate`` scope, ``mamori change gate`` with its exit codes, and the pages."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from mamori.accounts.services import tokens
from mamori.operations.models import ChangeFinding, GateDecision
from mamori.operations.services import gate
from tests.conftest import client_for
from tests.operations import gate_world
from tests.operations.gate_world import A, B

pytestmark = pytest.mark.django_db

approved, world, ready = gate_world.approved, gate_world.world, gate_world.ready


def bearer(user, *scopes: str) -> Client:
    issued = tokens.issue("pipeline", list(scopes), 30, user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")


def test_the_pipeline_asks_the_gate_with_its_token_and_reads_every_reason(ready) -> None:
    pipeline = Client(
        HTTP_AUTHORIZATION="Bearer " + tokens.issue("ci", ["changes:gate"], 30, None).secret
    )
    went = pipeline.post(
        "/api/changes/CHG-2026-007/gate", {"artifact_digest": A}, content_type="application/json"
    )
    assert went.status_code == 200, went.content
    assert went.json()["outcome"] == "go" and went.json()["reasons"] == []
    refused = pipeline.post(
        f"/api/changes/{ready['change'].pk}/gate",
        {"artifact_digest": B},
        content_type="application/json",
    ).json()
    assert refused["outcome"] == "no_go"
    assert {r["code"] for r in refused["reasons"]} == {"evidence_missing", "acceptance_missing"}
    assert all(r["message"] and "detail" in r for r in refused["reasons"])
    assert all(set(r["messages"]) == {"ja", "en"} for r in refused["reasons"])
    kept = GateDecision.objects.get(pk=refused["id"])
    assert kept.asked_by_token is not None and kept.asked_via == "api"
    listed = pipeline.get("/api/changes/CHG-2026-007/gate").json()
    assert listed["count"] == 2
    missing = pipeline.post(
        "/api/changes/CHG-1999-001/gate", {"artifact_digest": A}, content_type="application/json"
    )
    assert missing.status_code == 404 and missing.json()["code"] == "no_change"


def test_a_token_without_the_gate_scope_is_refused_naming_it(ready) -> None:
    reader = bearer(ready["people"]["sgm"], "quality:read")
    answer = reader.post(
        "/api/changes/CHG-2026-007/gate", {"artifact_digest": A}, content_type="application/json"
    )
    assert answer.status_code == 403 and "changes:gate" in answer.json()["message"]
    assert not GateDecision.objects.exists()
    plans = reader.get("/api/operations/quality-plans/matching-engine").json()
    assert {c["metric"] for c in plans["criteria"]} >= {"coverage", "security_review"}
    assert Client().post("/api/changes/CHG-2026-007/gate").status_code == 401


def test_the_command_exits_0_for_go_and_1_for_no_go_printing_the_reasons(ready) -> None:
    out = io.StringIO()
    call_command("change", "gate", "CHG-2026-007", "--digest", A, stdout=out)
    assert out.getvalue().startswith("go: CHG-2026-007")
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("change", "gate", "CHG-2026-007", "--digest", B, "--json", stdout=out)
    assert exited.value.code == 1
    answer = json.loads(out.getvalue())
    assert answer["outcome"] == "no_go" and "acceptance_missing" in {
        r["code"] for r in answer["reasons"]
    }
    assert GateDecision.objects.filter(asked_via="cli").count() == 2
    with pytest.raises(CommandError):
        call_command("change", "gate", "CHG-1999-001", "--digest", A)


def test_the_gate_page_asks_shows_reasons_and_attests(ready) -> None:
    dev = client_for(ready["people"]["dev"])
    url = "/operations/changes/CHG-2026-007/gate/"
    dev.post(url + "ask/", {"artifact_digest": B})
    page = dev.get(url).content.decode()
    assert "acceptance_missing" in page and "no-go" in page
    auditor = client_for(ready["people"]["sgm"])
    assert auditor.get(url + "zz/").status_code == 405
    assert auditor.post(url + "zz/").status_code == 404
    assert (
        client_for(ready["people"]["ciso"]).post(url + "ask/", {"artifact_digest": A}).status_code
        == 403
    )


def test_a_finding_is_resolved_from_its_list(ready) -> None:
    gate.record_deployment("production", "c0ffee", B, "success", "github")
    finding = ChangeFinding.objects.get()
    sgm = client_for(ready["people"]["sgm"])
    listed = sgm.get("/operations/change-findings/").content.decode()
    assert B[:20] in listed and 'name="resolution"' in listed
    sgm.post(f"/operations/change-findings/{finding.pk}/resolve/", {"resolution": "rolled back"})
    finding.refresh_from_db()
    assert finding.resolution == "rolled back" and finding.resolved_by == ready["people"]["sgm"]
    assert sgm.get("/operations/change-findings/?export=csv").status_code == 200


def test_quality_plan_standard_and_freeze_pages_edit_for_managers_only(ready) -> None:
    sgm, dev = client_for(ready["people"]["sgm"]), client_for(ready["people"]["dev"])
    assert "matching-engine" in sgm.get("/operations/quality/").content.decode()
    url = "/operations/quality/matching-engine/"
    sgm.post(url, {"metric": "vulnerabilities", "level": "high", "threshold": "0"})
    assert ready["system"].quality_plan.criteria.filter(level="high").exists()
    refused = sgm.post(url, {"metric": "vulnerabilities", "level": "severe", "threshold": "0"})
    assert "severe" in refused.content.decode()
    assert dev.post(url, {"metric": "coverage", "threshold": "1"}).status_code == 403
    sgm.post("/operations/quality/secure-coding/", {"title": "Secure coding", "text": "v2 text"})
    assert "v2 text" in dev.get("/operations/quality/secure-coding/").content.decode()
    sgm.post(
        "/operations/freezes/",
        {
            "starts_at": "2026-12-28T00:00",
            "ends_at": "2027-01-04T00:00",
            "reason": "year-end",
            "all_systems": "on",
        },
    )
    assert "year-end" in dev.get("/operations/freezes/").content.decode()


def test_the_gate_page_reads_in_japanese_and_in_english(ready) -> None:
    sgm = client_for(ready["people"]["sgm"])
    gate.decide(ready["change"], B, ready["people"]["dev"])
    url = "/operations/changes/CHG-2026-007/gate/"
    japanese = sgm.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "デプロイゲート" in japanese and "不可（no-go）" in japanese
    assert "導入時検査が記録されていません" in japanese
    sgm.post("/accounts/language/", {"language": "en", "next": url})
    english = sgm.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "Deploy gate" in english and "no-go" in english and "デプロイゲート" not in english
    assert "No acceptance inspection is recorded for this artifact." in english


def test_an_override_is_shown_to_its_approver_with_the_reason_and_the_gates_reasons(ready) -> None:
    request = gate.request_override(
        ready["change"], B, "customer outage hotfix", ready["people"]["dev"]
    )
    page = client_for(ready["people"]["sgm"]).get(f"/accounts/approvals/{request.pk}/").content
    text = page.decode()
    assert "customer outage hotfix" in text and "acceptance_missing" in text
    assert "/operations/changes/CHG-2026-007/gate/" in text


def test_a_manager_records_a_performance_measurement_from_the_gate_page(world) -> None:
    gate_world.store(world["change"], A, performance=None)
    gate_world.inspect(world["change"], A, world["people"]["qa"])
    url = "/operations/changes/CHG-2026-007/gate/"
    qa = client_for(world["people"]["qa"])
    qa.post(url + "performance/", {"artifact_digest": " ", "metric": "p99_ms", "value": "4"})
    assert gate.decide(world["change"], A, None).outcome == "no_go"
    qa.post(url + "performance/", {"artifact_digest": A, "metric": "p99_ms", "value": "4.2"})
    assert gate.decide(world["change"], A, None).outcome == "go"
    assert client_for(world["people"]["dev"]).post(url + "performance/").status_code == 403
