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
    """Post ``body`` as GitHub does, signed with the key a pipeline whose secret is ``secret``
    shows for GitHub."""
    key = evidence.channel_secret(secret, "github")
    mac = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
    return Client().post(
        f"/api/changes/pipeline/{code}/github",
        body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT=event,
        HTTP_X_HUB_SIGNATURE_256=f"sha256={mac}",
    )


def gitlab(secret: str, body: bytes, event: str = "Deployment Hook", code: str = "gl"):
    """Post ``body`` as GitLab does, with the token a pipeline whose secret is ``secret`` shows
    for GitLab."""
    return raw_gitlab(evidence.channel_secret(secret, "gitlab"), body, event, code)


def raw_gitlab(token: str, body: bytes, event: str = "Deployment Hook", code: str = "gl"):
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
        (lambda s: raw_gitlab("", GITLAB, code="gh"), "token_missing"),
        # the pipeline's own secret, or the start of the GitLab token, proves nothing there
        (lambda s: raw_gitlab(s, GITLAB, code="gh"), "bad_token"),
        (
            lambda s: raw_gitlab(evidence.channel_secret(s, "gitlab")[:8], GITLAB, code="gh"),
            "bad_token",
        ),
        # a header that is not ASCII is a bad signature, not a failure of the server
        (lambda s: _post_github(GITHUB, "sha256=é"), "bad_signature"),
    ],
)
def test_a_hook_not_proven_by_the_pipeline_secret_stores_nothing(send, code) -> None:
    _pipeline, secret = evidence.rotate_secret("gh")
    refused = send(secret)
    assert refused.status_code == 401 and refused.json()["code"] == code
    assert DeploymentEvent.objects.count() == 0


def _post_github(body: bytes, signature: str):
    return Client().post(
        "/api/changes/pipeline/gh/github",
        body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="deployment_status",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )


def test_a_tampered_or_unsigned_github_body_is_refused() -> None:
    _pipeline, secret = evidence.rotate_secret("gh")
    key = evidence.channel_secret(secret, "github")
    mac = hmac.new(key.encode(), GITHUB, hashlib.sha256).hexdigest()
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


def test_a_gitlab_hook_takes_only_deployment_events() -> None:
    _pipeline, secret = evidence.rotate_secret("gl")
    push = gitlab(secret, json.dumps({"object_kind": "push"}).encode(), "Push Hook")
    assert push.status_code == 422 and push.json()["code"] == "unexpected_event"
    assert "Deployment events" in push.json()["message"]
    assert DeploymentEvent.objects.count() == 0


def test_a_disabled_pipeline_is_refused_on_the_provider_hooks() -> None:
    pipeline, secret = evidence.rotate_secret("gh")
    pipeline.active = False
    pipeline.save(update_fields=["active"])
    assert github(secret, GITHUB).json()["code"] == "unknown_pipeline"
    assert gitlab(secret, GITLAB, code="gh").json()["code"] == "unknown_pipeline"


def test_the_gitlab_token_signs_no_upload_and_proves_no_github_event() -> None:
    """GitLab stores its token and sends it as it is: whoever reads it there holds only the
    GitLab key, not the pipeline's secret (review: the token was the whole secret)."""
    _pipeline, secret = evidence.rotate_secret("ci")
    token = evidence.channel_secret(secret, "gitlab")
    report = (SAMPLES / "codeql.sarif").read_bytes()
    query = f"?change=CHG-2026-0412&commit={COMMIT}&digest={DIGEST}"
    forged = signed(token, report, query)
    assert forged.status_code == 401 and forged.json()["code"] == "bad_signature"
    mac = hmac.new(token.encode(), GITHUB, hashlib.sha256).hexdigest()
    as_github = Client().post(
        "/api/changes/pipeline/ci/github",
        GITHUB,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="deployment_status",
        HTTP_X_HUB_SIGNATURE_256=f"sha256={mac}",
    )
    assert as_github.status_code == 401 and Evidence.objects.count() == 0


def test_the_pipelines_page_shows_each_providers_key_once_with_the_secret() -> None:
    from tests.conftest import client_for, give, make_user

    manager = client_for(give(make_user("sgm-ono"), "system_general_manager"))
    made = manager.post("/operations/pipelines/", {"code": "gh", "name": "GitHub"})
    page = made.content.decode()
    secret = page.split("<code>", 1)[1].split("</code>", 1)[0]
    assert f'id="github-secret">{evidence.channel_secret(secret, "github")}<' in page
    assert f'id="gitlab-token">{evidence.channel_secret(secret, "gitlab")}<' in page
    assert github(secret, GITHUB).status_code in (200, 201)
    assert 'id="gitlab-token"' not in manager.get("/operations/pipelines/").content.decode()


def test_one_senders_deployment_id_never_stands_for_another_senders_deployment() -> None:
    """A pipeline that sends a deployment id another sender uses (a decoy, or another GitLab
    instance) raises its own finding and hides none (review: one key per provider id)."""
    from mamori.operations.models import ChangeFinding

    _toy, toy = evidence.rotate_secret("toy")
    _real, real = evidence.rotate_secret("gh")
    decoy = json.loads(GITHUB)
    decoy["deployment"]["payload"] = {"artifact_digest": "sha256:" + "1" * 64}
    assert github(toy, json.dumps(decoy).encode(), code="toy").status_code == 201
    assert github(real, GITHUB).status_code == 201
    findings = ChangeFinding.objects.filter(kind="deploy_without_go")
    assert sorted(f.detail["artifact_digest"] for f in findings) == sorted(
        ["sha256:" + "1" * 64, DIGEST]
    )
