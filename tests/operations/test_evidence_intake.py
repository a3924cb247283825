"""Pipeline evidence taken in through the API and the signed webhook (SRM 15, 16, 19, 20):
scoped tokens, all-or-nothing storage, idempotent resends, deployment events matched to the
change of their build."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from mamori.accounts.services import tokens
from mamori.operations.models import (
    Build,
    Change,
    ChangeFinding,
    Deployment,
    DeploymentEvent,
    Evidence,
)
from mamori.operations.services import evidence
from tests.conftest import give, make_user

SAMPLES = Path(__file__).parents[1] / "engines" / "evidence_samples"
DIGEST = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
COMMIT = "9a1c5e0b7f3d2c4e6a8b0d1f3e5a7c9b2d4f6a8c"


@pytest.fixture
def change(db) -> Change:
    developer = give(make_user("dev-sato"), "developer")
    give(make_user("auditor-abe"), "internal_auditor")
    return Change.objects.create(
        reference="CHG-2026-0412",
        title="Matching engine 2.4.0",
        responsible=developer,
        created_by=developer,
        created_at=timezone.now(),
    )


def bearer(username: str, *scopes: str) -> Client:
    from mamori.accounts.models import User

    issued = tokens.issue("pipeline", list(scopes), 30, User.objects.get(username=username))
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")


def upload(client: Client, name: str, **fields: str):
    data = (SAMPLES / name).read_bytes()
    form = {"file": SimpleUploadedFile(name, data), **fields}
    return client.post("/api/changes/CHG-2026-0412/evidence", form)


def test_a_pipeline_token_sends_a_test_report_once_and_a_reader_lists_it(change) -> None:
    sender = bearer("dev-sato", "changes:evidence")
    sent = upload(sender, "junit_pytest.xml", commit=COMMIT, digest=DIGEST)
    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert body["kind"] == "tests" and body["format"] == "junit" and body["new"] is True
    assert body["summary"]["failures"] == 1 and body["summary"]["tests"] == 5
    assert body["artifact_digest"] == DIGEST and body["commit"] == COMMIT
    again = upload(sender, "junit_pytest.xml", commit=COMMIT, digest=DIGEST)
    assert again.status_code == 200 and again.json()["new"] is False
    assert Evidence.objects.count() == 1 and Build.objects.count() == 1
    assert sender.get("/api/changes/CHG-2026-0412/evidence").status_code == 403  # no changes:read
    reader = bearer("auditor-abe", "changes:read")
    listed = reader.get("/api/changes/CHG-2026-0412/evidence").json()
    assert [row["sha256"] for row in listed["items"]] == [body["sha256"]]
    refused = upload(reader, "junit_pytest.xml", commit=COMMIT, digest=DIGEST)
    assert refused.status_code == 403  # a reader's token sends nothing


def test_a_raw_body_is_recognised_and_summarised_by_its_kind(change) -> None:
    sender = bearer("dev-sato", "changes:evidence")
    url = f"/api/changes/{change.pk}/evidence?commit={COMMIT}&digest={DIGEST}"
    for name, kind, key in (
        ("semgrep.sarif", "static_analysis", "by_level"),
        ("cobertura.xml", "coverage", "lines_covered"),
        ("cyclonedx.json", "sbom", "components"),
        ("osv_scanner.json", "vulnerabilities", "by_severity"),
    ):
        data = (SAMPLES / name).read_bytes()
        sent = sender.post(url, data, content_type="application/octet-stream")
        assert sent.status_code == 201, sent.content
        assert sent.json()["kind"] == kind and key in sent.json()["summary"]
    pip = sender.post(
        url + "&format=pip-audit",
        (SAMPLES / "pip_audit.json").read_bytes(),
        content_type="application/json",
    )
    assert pip.json()["summary"]["by_severity"]["unknown"] == 3
    assert Evidence.objects.get(kind="static_analysis").summary["by_level"]["error"] == 1


def test_a_bad_file_stores_nothing_and_says_where_it_broke(change) -> None:
    sender = bearer("dev-sato", "changes:evidence")
    url = f"/api/changes/CHG-2026-0412/evidence?commit={COMMIT}&digest={DIGEST}"
    cut = (SAMPLES / "junit_surefire.xml").read_bytes()[:700]
    answer = sender.post(url, cut, content_type="application/xml")
    assert answer.status_code == 422 and answer.json()["code"] == "evidence_malformed"
    assert "line" in answer.json()["message"]
    bomb = b'<!DOCTYPE t [<!ENTITY a "aaaa">]><testsuite>&a;</testsuite>'
    hostile = sender.post(url, bomb, content_type="application/xml")
    assert hostile.json()["code"] == "evidence_forbidden_markup"
    no_digest = sender.post(url.replace(DIGEST, "latest"), b"<testsuite/>", content_type="text/xml")
    assert no_digest.status_code == 422 and no_digest.json()["code"] == "bad_digest"
    nowhere = sender.post("/api/changes/CHG-1999-1/evidence", b"", content_type="text/xml")
    assert nowhere.status_code == 404
    assert Evidence.objects.count() == 0 and Build.objects.count() == 0


def test_a_digest_already_built_from_another_commit_is_refused(change) -> None:
    sender = bearer("dev-sato", "changes:evidence")
    assert upload(sender, "jacoco.xml", commit=COMMIT, digest=DIGEST).status_code == 201
    other = upload(sender, "junit_surefire.xml", commit="0" * 40, digest=DIGEST)
    assert other.status_code == 409 and other.json()["code"] == "digest_of_another_commit"
    assert Evidence.objects.count() == 1


def test_a_file_over_the_limit_is_refused_with_413(change, monkeypatch) -> None:
    monkeypatch.setattr(evidence, "MAX_BYTES", 1000)
    sender = bearer("dev-sato", "changes:evidence")
    big = upload(sender, "codeql.sarif", commit=COMMIT, digest=DIGEST)
    assert big.status_code == 413 and Evidence.objects.count() == 0


def signed(secret: str, body: bytes, query: str = "", stamp: str | None = None, **headers):
    """Post ``body`` as a pipeline does: signed over the query's parameters and the body."""
    stamp = stamp or str(int(time.time()))
    context = evidence.signed_context(dict(parse_qsl(query.lstrip("?"))))
    return Client().post(
        f"/api/changes/pipeline/webhook{query}",
        body,
        content_type="application/json",
        HTTP_X_MAMORI_SOURCE="ci",
        HTTP_X_MAMORI_TIMESTAMP=stamp,
        HTTP_X_MAMORI_SIGNATURE=headers.get("signature")
        or evidence.sign(secret, stamp, body, context),
    )


def test_a_captured_signed_upload_cannot_be_replayed_for_another_change_or_digest(change) -> None:
    """The signature covers the query naming the change, commit, digest and format: the same
    body, timestamp and signature sent for another change or digest are refused (review H1)."""
    _pipeline, secret = evidence.rotate_secret("ci")
    report = (SAMPLES / "codeql.sarif").read_bytes()
    query = f"?change=CHG-2026-0412&commit={COMMIT}&digest={DIGEST}"
    stamp = str(int(time.time()))
    context = evidence.signed_context(dict(parse_qsl(query.lstrip("?"))))
    signature = evidence.sign(secret, stamp, report, context)
    assert signed(secret, report, query, stamp=stamp, signature=signature).status_code == 201
    other = f"?change=CHG-2026-0412&commit={COMMIT}&digest=sha256:{'b' * 64}"
    replayed = signed(secret, report, other, stamp=stamp, signature=signature)
    assert replayed.status_code == 401 and replayed.json()["code"] == "bad_signature"
    assert Evidence.objects.count() == 1


def test_a_signed_deployment_event_is_kept_once_and_matched_to_the_change(change) -> None:
    _pipeline, secret = evidence.rotate_secret("ci", "GitHub Actions")
    sarif = (SAMPLES / "codeql.sarif").read_bytes()
    query = f"?change=CHG-2026-0412&commit={COMMIT}&digest={DIGEST}"
    taken = signed(secret, sarif, query)
    assert taken.status_code == 201 and taken.json()["source"] == "webhook:ci"
    event = (SAMPLES / "github_deployment_status.json").read_bytes()
    first = signed(secret, event)
    assert first.status_code == 201, first.content
    assert first.json()["change"] == "CHG-2026-0412" and first.json()["state"] == "success"
    assert first.json()["artifact_digest"] == DIGEST
    assert signed(secret, event).json()["new"] is False
    gitlab = signed(secret, (SAMPLES / "gitlab_deployment.json").read_bytes())
    assert gitlab.status_code == 201 and gitlab.json()["change"] is None  # no build of it
    assert DeploymentEvent.objects.count() == 2
    # neither digest ever had a go from the gate: two production deployments, two findings, and
    # the resent GitHub event raised none of its own
    findings = ChangeFinding.objects.filter(kind=ChangeFinding.Kind.DEPLOY_WITHOUT_GO)
    assert findings.count() == 2
    assert set(Deployment.objects.values_list("environment", flat=True)) == {"production"}
    assert findings.filter(change__reference="CHG-2026-0412").count() == 1


def test_a_webhook_with_a_bad_or_stale_signature_stores_nothing(change) -> None:
    _pipeline, secret = evidence.rotate_secret("ci")
    event = (SAMPLES / "github_deployment_status.json").read_bytes()
    forged = signed("not-the-secret", event)
    assert forged.status_code == 401 and forged.json()["code"] == "bad_signature"
    stale = signed(secret, event, stamp=str(int(time.time()) - 3600))
    assert stale.status_code == 401 and stale.json()["code"] == "stale_timestamp"
    tampered = json.loads(event)
    tampered["deployment"]["sha"] = "f" * 40
    stamp = str(int(time.time()))
    swapped = signed(
        secret,
        json.dumps(tampered).encode(),
        stamp=stamp,
        signature=evidence.sign(secret, stamp, event),
    )
    assert swapped.status_code == 401
    not_ascii = signed(secret, event, signature="sha256=é")  # a 500 before (review)
    assert not_ascii.status_code == 401 and not_ascii.json()["code"] == "bad_signature"
    session = Client()
    assert (
        session.post(
            "/api/changes/pipeline/webhook", b"{}", content_type="application/json"
        ).status_code
        == 401
    )
    assert DeploymentEvent.objects.count() == 0


def test_a_systems_manager_makes_a_pipeline_secret_on_its_page_and_the_pipeline_signs_with_it(
    change,
) -> None:
    """The secret is made where people work (shown once), a developer may not make one, and a
    disabled pipeline is refused."""
    from mamori.operations.models import PipelineSource
    from tests.conftest import client_for

    manager = client_for(give(make_user("mgr-ono"), "dept_system_manager"))
    developer = client_for(give(make_user("dev-ueno"), "developer"))
    assert developer.get("/operations/pipelines/").status_code == 403
    page = manager.post("/operations/pipelines/", {"code": "ci", "name": "GitHub Actions"})
    secret = page.context["secret"]
    assert page.status_code == 200 and secret and secret in page.content.decode()
    assert secret not in manager.get("/operations/pipelines/").content.decode()  # shown once
    report = (SAMPLES / "codeql.sarif").read_bytes()
    query = f"?change=CHG-2026-0412&commit={COMMIT}&digest={DIGEST}"
    assert signed(secret, report, query).status_code == 201
    pipeline = PipelineSource.objects.get(code="ci")
    manager.post(f"/operations/pipelines/{pipeline.pk}/disable/")
    assert signed(secret, report, query).status_code == 401
