"""Deployment events straight from GitHub's and GitLab's own webhooks (SRM 19): proven by
GitHub's ``X-Hub-Signature-256`` or GitLab's ``X-Gitlab-Token`` with the pipeline's secret, the
same body kept once, anything else refused saying why and storing nothing."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.test import Client

from mamori.operations.models import DeploymentEvent, Evidence
from mamori.operations.services import evidence
from tests.operations.test_evidence_intake import (  # noqa: F401 - change: the fixture
    COMMIT,
    DIGEST,
    SAMPLES,
    change,
    signed,
)

pytestmark = pytest.mark.usefixtures("change")

GITHUB = (SAMPLES / "github_deployment_status.json").read_bytes()
GITLAB = (SAMPLES / "gitlab_deployment.json").read_bytes()


def github(secret: str, body: bytes, event: str = "deployment_status", code: str = "gh"):
    mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return Client().post(
        f"/api/changes/pipeline/{code}/github",
        body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT=event,
        HTTP_X_HUB_SIGNATURE_256=f"sha256={mac}",
    )


def gitlab(token: str, body: bytes, event: str = "Deployment Hook", code: str = "gl"):
    return Client().post(
        f"/api/changes/pipeline/{code}/gitlab",
        body,
        content_type="application/json",
        HTTP_X_GITLAB_EVENT=event,
        HTTP_X_GITLAB_TOKEN=token,
    )


def test_a_github_deployment_status_is_kept_once_and_matched_to_its_change() -> None:
    _pipeline, ci = evidence.rotate_secret("ci", "GitHub Actions")
    report = (SAMPLES / "codeql.sarif").read_bytes()
    query = f"?change=CHG-2026-0412&commit={COMMIT}&digest={DIGEST}"
    assert signed(ci, report, query).status_code == 201  # the build, from the pipeline
    _pipeline, secret = evidence.rotate_secret("gh", "GitHub webhook")
    ping = github(
        secret, json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode(), "ping"
    )
    assert ping.status_code == 200 and ping.json() == {"pipeline": "gh", "event": "ping"}
    first = github(secret, GITHUB)
    assert first.status_code == 201, first.content
    assert first.json()["change"] == "CHG-2026-0412" and first.json()["artifact_digest"] == DIGEST
    again = github(secret, GITHUB)  # GitHub's redelivery, or a replay: the same event
    assert again.status_code == 200 and again.json()["new"] is False
    assert DeploymentEvent.objects.count() == 1


def test_a_gitlab_deployment_hook_with_the_pipeline_token_is_kept() -> None:
    _pipeline, secret = evidence.rotate_secret("gl", "GitLab webhook")
    taken = gitlab(secret, GITLAB)
    assert taken.status_code == 201, taken.content
    assert taken.json()["source"] == "gitlab" and taken.json()["environment"] == "production"
    assert gitlab(secret, GITLAB).json()["new"] is False


@pytest.mark.parametrize(
    ("send", "code"),
    [
        (lambda s: github("not-the-secret", GITHUB), "bad_signature"),
        (lambda s: github(s, GITHUB, code="nobody"), "unknown_pipeline"),
        (lambda s: gitlab("not-the-secret", GITLAB, code="gh"), "bad_token"),
        (lambda s: gitlab("", GITLAB, code="gh"), "token_missing"),
    ],
)
def test_a_hook_not_proven_by_the_pipeline_secret_stores_nothing(send, code) -> None:
    _pipeline, secret = evidence.rotate_secret("gh")
    refused = send(secret)
    assert refused.status_code == 401 and refused.json()["code"] == code
    assert DeploymentEvent.objects.count() == 0


def test_a_tampered_or_unsigned_github_body_is_refused() -> None:
    _pipeline, secret = evidence.rotate_secret("gh")
    mac = hmac.new(secret.encode(), GITHUB, hashlib.sha256).hexdigest()
    tampered = json.loads(GITHUB)
    tampered["deployment"]["sha"] = "f" * 40
    swapped = Client().post(
        "/api/changes/pipeline/gh/github",
        json.dumps(tampered).encode(),
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="deployment_status",
        HTTP_X_HUB_SIGNATURE_256=f"sha256={mac}",
    )
    assert swapped.status_code == 401 and swapped.json()["code"] == "bad_signature"
    unsigned = Client().post(
        "/api/changes/pipeline/gh/github", GITHUB, content_type="application/json",
        HTTP_X_GITHUB_EVENT="deployment_status",
    )  # fmt: skip
    assert unsigned.status_code == 401
    assert DeploymentEvent.objects.count() == 0


def test_an_event_the_hook_does_not_take_is_refused_saying_what_to_subscribe() -> None:
    _pipeline, secret = evidence.rotate_secret("gh")
    push = github(secret, json.dumps({"ref": "refs/heads/main"}).encode(), "push")
    assert push.status_code == 422 and push.json()["code"] == "unexpected_event"
    assert "Deployment statuses" in push.json()["message"]
    # a deployment body sent as another event, or an upload, is not taken either
    assert github(secret, GITHUB, "deployment").status_code == 422
    report = github(secret, (SAMPLES / "codeql.sarif").read_bytes())
    assert report.status_code == 422 and report.json()["code"] == "evidence_wrong_shape"
    assert DeploymentEvent.objects.count() == 0 and Evidence.objects.count() == 0
