"""One domain error contract: every refusal derives from ``Refused`` and answers its own code,
a message in the reader's language and the status it stands for; every API operation
declares what it answers and the refusals it can give."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

import mamori
from mamori.accounts.models import Department, RoleAssignment, User
from mamori.accounts.services import approvals, tokens
from mamori.core.api import api
from mamori.core.errors import Refused
from tests.conftest import client_for, give, make_user

#: Modules whose exceptions are not domain refusals: engines are framework-free (their errors
#: are turned into refusals by the module that calls them), configuration stops start-up with
#: one line, the testing plugin is not the product, benchmarks are a tool.
NOT_DOMAIN = (
    "mamori.engines",
    "mamori.config",
    "mamori.testing",
    "mamori.bench",
    "mamori.__main__",
)

#: Errors named like refusals that are not answers to a request, and why.
ALLOWED = {
    # the audit log archive is written and read by the operator's command line; an archive that
    # does not verify is an integrity failure, never a refusal of a caller's input
    "mamori.auditlog.archive.ArchiveError",
    # `mamori backup` / `mamori restore` on the command line only: the operator's terminal line
    "mamori.core.backup.BackupRefused",
    # the key store (HSM, key file) failing: a fault of the installation, logged and answered
    # 500, not something a caller can correct
    "mamori.core.signing._base.SigningError",
    "mamori.core.signing._base.StoreRefused",
    # publishing a checkpoint to a witness, a directory, a bucket or mail: a place outside
    # mamori failing or refusing (a fork) is recorded and alerted, never a caller's input
    "mamori.auditlog.publish.PublishError",
    "mamori.auditlog.publish.WitnessRefused",
    # the signer refusing to sign a log that does not extend its last checkpoint: an integrity
    # alarm raised by the checkpoint job, not an answer to a request
    "mamori.auditlog.signer.SignerRefused",
}


def _domain_errors() -> list[type[BaseException]]:
    found = []
    for info in pkgutil.walk_packages(mamori.__path__, "mamori."):
        if info.name.startswith(NOT_DOMAIN):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, Exception)
                and value.__module__ == module.__name__
                and name.endswith(("Refused", "Error"))
            ):
                found.append(value)
    return found


def test_every_domain_error_of_mamori_is_a_refusal() -> None:
    errors = {f"{e.__module__}.{e.__qualname__}": e for e in _domain_errors()}
    assert "mamori.risk.services.RiskRefused" in errors  # the walk finds them
    outside = sorted(name for name, e in errors.items() if not issubclass(e, Refused))
    assert outside == sorted(ALLOWED)


def test_a_refusal_carries_its_code_message_status_and_fields() -> None:
    refused = Refused("bad_thing", "the thing is bad", 409, [("body.thing", "too big")])
    assert str(refused) == "the thing is bad"
    assert refused.body() == {
        "code": "bad_thing",
        "message": "the thing is bad",
        "fields": [{"field": "body.thing", "message": "too big"}],
    }
    assert refused.status == 409 and Refused("x", "y").status == 422


# --- the OpenAPI document --------------------------------------------------------------------


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    document = api.get_openapi_schema()
    return [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def _is_error_body(answer: dict[str, Any]) -> bool:
    schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref", "").endswith("/ErrorBody"))


def test_every_operation_declares_its_answer_and_the_refusals_it_can_give() -> None:
    """The rule: every operation documents a 2xx body; one that takes any input (a path,
    query or body parameter) can be refused as invalid, so it declares 422; one with a path
    parameter names a record that may not exist, so it declares 404; one that authenticates
    declares 401 and 403; every 4xx it declares is the error body."""
    problems = []
    for method, path, operation in _operations():
        answers = {str(status): answer for status, answer in operation["responses"].items()}
        where = f"{method} {path}"
        if not any(s.startswith("2") and a.get("content") for s, a in answers.items()):
            problems.append(f"{where}: no 2xx schema")
        parameters = operation.get("parameters", [])
        if (parameters or "requestBody" in operation) and "422" not in answers:
            problems.append(f"{where}: takes input but does not declare 422")
        if any(p["in"] == "path" for p in parameters) and "404" not in answers:
            problems.append(f"{where}: has a path parameter but does not declare 404")
        if operation.get("security") and not {"401", "403"} <= set(answers):
            problems.append(f"{where}: authenticates but does not declare 401 and 403")
        problems += [
            f"{where}: {status} is not the error body"
            for status, answer in answers.items()
            if status.startswith("4") and not _is_error_body(answer)
        ]
    assert problems == []


def test_the_risk_api_declares_an_output_schema_on_every_operation() -> None:
    risk = [(m, p, o) for m, p, o in _operations() if p.startswith("/api/risk/")]
    assert len(risk) >= 12
    for method, path, operation in risk:
        bodies = [
            a["content"]["application/json"]["schema"]
            for s, a in operation["responses"].items()
            if str(s).startswith("2")
        ]
        assert bodies and all(b != {} for b in bodies), f"{method} {path}"


# --- what a client sees ----------------------------------------------------------------------


def _both(call: Any) -> dict[str, tuple[int, dict[str, Any]]]:
    """Return the answer of ``call(language)`` in Japanese and in English."""
    answers = {}
    for language in ("ja", "en"):
        answer = call(language)
        answers[language] = (answer.status_code, answer.json())
    return answers


def _same_code(answers: dict[str, tuple[int, dict[str, Any]]], status: int, code: str) -> None:
    for language, (got_status, body) in answers.items():
        assert (got_status, body["code"]) == (status, code), (language, body)
        assert body["message"]
    assert answers["ja"][1]["message"] != answers["en"][1]["message"]


@pytest.mark.django_db
def test_risk_refusals_answer_their_codes(people: dict[str, User]) -> None:
    ciso = client_for(people["ciso"])
    answers = _both(lambda lang: ciso.get("/api/risk/scenarios", HTTP_ACCEPT_LANGUAGE=lang))
    _same_code(answers, 404, "no_assessment")
    assert "リスクアセスメント" in answers["ja"][1]["message"]
    body = {
        "code": "A-1",
        "name_ja": "顧客台帳",
        "kind": "data",
        "classification": "confidential",
        "value": 3,
        "owner": "ghost",
        "location_kind": "onprem",
    }
    answers = _both(
        lambda lang: ciso.post(
            "/api/risk/assets", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=lang
        )
    )
    _same_code(answers, 422, "bad_asset")
    assert "unknown asset owner 'ghost'" in answers["en"][1]["message"]


@pytest.mark.django_db
def test_an_evidence_refusal_answers_its_code(people: dict[str, User]) -> None:
    issued = tokens.issue("ci", ["rulebook:write"], 30, people["ciso"])
    api_client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    pdf = b"%PDF-1.4 evidence"

    def upload(language: str) -> Any:
        file = SimpleUploadedFile("p.pdf", pdf)
        return api_client.post(
            "/api/rulebook/controls/DOC-CYB-03/evidence",
            {"file": file, "sha256": "a" * 64},
            HTTP_ACCEPT_LANGUAGE=language,
        )

    answers = _both(upload)
    _same_code(answers, 422, "hash_mismatch")
    assert hashlib.sha256(pdf).hexdigest() in answers["ja"][1]["message"]
    assert "宣言された SHA-256" in answers["ja"][1]["message"]


@pytest.fixture
def custody_officer(db: None) -> User:
    from mamori.custody.services import monitor

    monitor.reset()
    yield give(make_user("op-mori"), "custody_operator")
    monitor.reset()


@pytest.mark.django_db
def test_a_custody_setup_refusal_answers_its_code(custody_officer: User) -> None:
    issued = tokens.issue("setup", ["custody:admin"], 30, custody_officer)
    api_client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    asset = {"code": "BTC", "name": "Bitcoin", "chain": "bitcoin", "decimals": 8}
    made = api_client.post("/api/custody/assets", asset, content_type="application/json")
    assert made.status_code == 201, made.content
    answers = _both(
        lambda lang: api_client.post(
            "/api/custody/assets", asset, content_type="application/json", HTTP_ACCEPT_LANGUAGE=lang
        )
    )
    _same_code(answers, 422, "bad_asset")
    assert "既に存在します" in answers["ja"][1]["message"]
    assert "already exists" in answers["en"][1]["message"]


@pytest.mark.django_db
def test_a_node_refusal_answers_its_code(custody_officer: User) -> None:
    session = client_for(custody_officer)
    node = {"chain": "ethereum", "family": "evm", "url": "ftp://node.example/"}
    answers = _both(
        lambda lang: session.post(
            "/api/reconciliation/nodes",
            node,
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=lang,
        )
    )
    assert answers["en"][0] == 422 and answers["en"][1]["code"] not in ("error", "invalid")
    _same_code(answers, 422, answers["en"][1]["code"])


@pytest.mark.django_db
def test_role_grant_refusals_answer_their_codes(admin_user: User) -> None:
    issued = tokens.issue("setup", ["accounts:assign"], 1, admin_user)
    api_client = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")

    def grant(user: str, role: str, department: str = "") -> Any:
        body = {"user": user, "role": role, "department": department}
        return lambda lang: api_client.post(
            "/api/accounts/assignments",
            body,
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=lang,
        )

    _same_code(_both(grant(admin_user.username, "internal_auditor")), 422, "self_grant")
    systems = Department.objects.create(code="systems", name_ja="システム部", name_en="Systems")
    zed = make_user("zed")
    assert grant("zed", "developer", "systems")("en").status_code == 201
    answers = _both(grant("zed", "operator", "systems"))
    _same_code(answers, 422, "segregation")
    assert "sod-dev-ops" in answers["en"][1]["message"]
    assert RoleAssignment.objects.filter(user=zed, department=systems).count() == 1
    _same_code(_both(grant("zed", "developer", "systems")), 409, "already_held")


@pytest.mark.django_db
def test_an_approval_conflict_answers_its_code() -> None:
    requester = give(make_user("req"), "ciso")
    approvals.register_kind("test.errors", policy="halt_lift", apply=lambda request: None)
    request = approvals.submit("test.errors", "t", {"a": 1}, requester)
    session = client_for(requester)
    answers = _both(
        lambda lang: session.post(
            f"/api/approvals/requests/{request.pk}/decisions",
            {"verdict": "approve", "reason": "mine"},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=lang,
        )
    )
    _same_code(answers, 409, "self_approval")
    assert "自分の依頼" in answers["ja"][1]["message"]


@pytest.mark.django_db
def test_the_role_page_and_the_command_line_show_a_refused_grant(
    admin_client: Client, admin_user: User
) -> None:
    from django.core.management import CommandError, call_command

    from mamori.accounts.models import Role

    auditor = Role.objects.get(code="internal_auditor")
    page = admin_client.post("/accounts/roles/", {"user": admin_user.pk, "role": auditor.pk})
    assert page.status_code == 400
    assert "自分自身にロールを付与することはできません" in page.content.decode()
    with pytest.raises(CommandError, match="自分自身にロールを付与"):
        call_command(
            "accounts",
            "grant",
            admin_user.username,
            "internal_auditor",
            "--as",
            admin_user.username,
        )


@pytest.mark.django_db
def test_a_nul_character_anywhere_in_a_request_is_refused_naming_where() -> None:
    """PostgreSQL cannot store U+0000; the API refuses it at the edge, for every operation:
    in a JSON body (nested too), a query string and a form."""
    client = client_for(give(make_user("ciso-nul"), "ciso"))
    body = client.post(
        "/api/keys/leak/flag",
        {"reason": "r", "what": "w", "extra": {"list": ["ok", "a\x00"]}},
        content_type="application/json",
    )
    assert body.status_code == 422, body.content
    assert body.json()["code"] == "nul_character"
    assert body.json()["fields"][0]["field"] == "body.extra.list.1"
    query = client.get("/api/search", {"q": "abc\x00def"})
    assert query.status_code == 422 and query.json()["code"] == "nul_character"
    assert query.json()["fields"][0]["field"] == "query"  # refused before the parser
    fine = client.get("/api/search", {"q": "abcdef"})
    assert fine.status_code == 200


@pytest.mark.django_db
def test_a_nul_in_a_path_a_raw_query_or_a_body_read_by_its_view_is_refused_too() -> None:
    """Path parameters and the query strings and signed bodies views read themselves never
    reach a module (review of the parser's refusal)."""
    from tests.operations.monitoring_world import bearer

    client = client_for(give(make_user("ciso-nul-2"), "ciso"))
    path = client.post("/api/operations/heartbeats/a%00b")
    assert path.status_code == 422 and path.json()["code"] == "nul_character"
    assert path.json()["fields"][0]["field"] == "path"
    query = client.get("/api/search?q=ab%00cd")
    assert query.status_code == 422 and query.json()["fields"][0]["field"] == "query"
    page = client.get("/operations/changes/CHG%00-1/")
    assert page.status_code == 400
    alerts = bearer("monitoring:alerts").post(
        "/api/operations/alertmanager",
        {"alerts": [{"labels": {"alertname": "x\x00y"}, "status": "firing"}]},
        content_type="application/json",
    )
    assert alerts.status_code == 422 and alerts.json()["code"] == "nul_character"
    assert alerts.json()["fields"][0]["field"] == "body.alerts.0.labels.alertname"


@pytest.mark.django_db
def test_a_nul_in_a_posted_page_form_is_refused_before_any_view_reads_it() -> None:
    """A view that reads ``request.POST`` itself (a change's cancel reason) has no form field
    to refuse a NUL; PostgreSQL would fail on it (review of the change cancel)."""
    from mamori.operations.models import Change

    dev = give(make_user("dev-nul"), "developer")
    change = Change.objects.create(
        reference="CHG-2026-0900", title="x", responsible=dev, created_by=dev,
        created_at=timezone.now(),
    )  # fmt: skip
    client = client_for(dev)
    answer = client.post(f"/operations/changes/{change.reference}/cancel/", {"reason": "a\x00b"})
    assert answer.status_code == 400
    change.refresh_from_db()
    assert change.stage == "plan"
    upload = client.post(  # a file's bytes may hold NULs: only the fields are read
        "/operations/changes/CHG-2026-0900/cancel/",
        {"reason": "superseded", "file": SimpleUploadedFile("x.bin", b"\x00\x01")},
    )
    assert upload.status_code == 302
