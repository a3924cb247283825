"""The API answers with one error shape, checks token scope and expiry, and paginates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mamori.accounts.models import ApiToken, Department, Role, RoleAssignment, User
from mamori.accounts.services import tokens

pytestmark = pytest.mark.django_db

UNAUTHENTICATED = {
    "code": "unauthenticated",
    "message": "Missing, invalid, expired or revoked credentials.",
    "fields": [],
}


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def reader() -> str:
    return tokens.issue("book service", ["accounts:read"], 30, None).secret


@pytest.fixture
def departments() -> None:
    Department.objects.bulk_create(
        Department(code=f"d{index:03d}", name_ja=f"部署{index}", name_en=f"Dept {index}")
        for index in range(120)
    )


def test_health_needs_no_token(client: Client) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Bearer mamori_abc_def", "Basic x"])
def test_missing_or_unknown_credentials_get_401(client: Client, header: str | None) -> None:
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/accounts/users", HTTP_ACCEPT_LANGUAGE="en", **extra)
    assert response.status_code == 401
    assert response.json() == UNAUTHENTICATED
    assert response["WWW-Authenticate"] == "Bearer"


def test_expired_and_revoked_tokens_get_the_same_401_as_unknown_ones(
    client: Client, reader: str
) -> None:
    expired = tokens.issue("old", ["accounts:read"], 1, None)
    ApiToken.objects.filter(pk=expired.token.pk).update(expires_at=timezone.now() - timedelta(1))
    revoked = tokens.issue("gone", ["accounts:read"], 30, None)
    tokens.revoke(revoked.token, None)
    bodies = [
        client.get("/api/accounts/users", **bearer(secret))
        for secret in (expired.secret, revoked.secret, reader[:-2] + "xx")
    ]
    assert [body.status_code for body in bodies] == [401, 401, 401]
    assert all(body.json() == UNAUTHENTICATED for body in bodies)


def test_a_token_changed_in_the_database_by_another_process_is_seen_at_its_next_use(
    client: Client,
) -> None:
    from django.db import connection

    issued = tokens.issue("service", ["accounts:read"], 30, None)
    pk = issued.token.pk

    def users() -> int:
        return client.get("/api/accounts/users", **bearer(issued.secret)).status_code

    def change(assignment: str, *params: object) -> None:  # not through the ORM's instances
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE accounts_apitoken SET {assignment} WHERE id = %s", [*params, pk]
            )

    assert users() == 200 and users() == 200  # the second use finds it known
    change("scopes = %s", '["custody:read"]')
    assert users() == 403  # narrowed at once
    change("scopes = %s", '["accounts:read"]')
    assert users() == 200
    change("expires_at = %s", timezone.now() - timedelta(seconds=1))
    assert users() == 401  # expired at once
    change("expires_at = %s", timezone.now() + timedelta(days=1))
    assert users() == 200
    change("revoked_at = %s", timezone.now())
    assert users() == 401  # revoked at once
    change("revoked_at = NULL")
    change("digest = %s", "0" * 64)
    assert users() == 401  # a row that no longer holds this secret's digest


def test_a_bad_token_on_a_post_gets_401_where_cross_site_checks_are_enforced(alice) -> None:
    from tests.conftest import sign_in

    strict = Client(enforce_csrf_checks=True)  # as a real server: the test client skips CSRF
    body = {"request_id": "r", "customer": "c", "asset": "BTC", "amount": "1"}
    refused = strict.post(
        "/api/custody/withdrawals/check",
        body,
        content_type="application/json",
        **bearer("mamori_abc_def"),
    )
    assert refused.status_code == 401 and refused.json() == UNAUTHENTICATED
    signed_in = Client()
    sign_in(signed_in, alice)
    strict.cookies = signed_in.cookies  # a signed-in session still needs its CSRF token
    forged = strict.post("/api/custody/withdrawals/check", body, content_type="application/json")
    assert forged.status_code == 403 and "CSRF" in forged.json()["message"]


def test_a_token_without_the_scope_gets_403_naming_it(client: Client) -> None:
    issued = tokens.issue("other service", ["platform:read"], 30, None)
    response = client.get("/api/accounts/users", **bearer(issued.secret))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "accounts:read" in response.json()["message"]


def test_a_scoped_token_reads_and_pages_are_bounded(
    client: Client, reader: str, departments: None
) -> None:
    first = client.get("/api/accounts/departments", **bearer(reader)).json()
    assert first["count"] == 120
    assert len(first["items"]) == 50
    last = client.get("/api/accounts/departments?page=3", **bearer(reader)).json()
    assert [item["code"] for item in last["items"]] == [f"d{i:03d}" for i in range(100, 120)]
    big = client.get("/api/accounts/departments?page_size=1000", **bearer(reader)).json()
    assert len(big["items"]) == 120  # capped at 200 per page


def test_invalid_parameters_get_field_errors(client: Client, reader: str) -> None:
    response = client.get("/api/accounts/departments?page=0", **bearer(reader))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"] and body["fields"][0]["field"].endswith("page")


def test_me_describes_the_token(client: Client, reader: str) -> None:
    body = client.get("/api/accounts/me", **bearer(reader)).json()
    assert body["kind"] == "token"
    assert body["scopes"] == ["accounts:read"]


def test_token_secret_is_stored_only_as_a_digest(reader: str) -> None:
    token = ApiToken.objects.get()
    assert reader not in (token.digest, token.prefix)
    assert token.prefix in reader
    assert len(token.digest) == 64


@pytest.mark.usefixtures("english")
def test_token_issue_refuses_bad_requests() -> None:
    with pytest.raises(tokens.TokenError, match="unknown scope"):
        tokens.issue("x", ["nope:nope"], 30, None)
    with pytest.raises(tokens.TokenError, match="lifetime"):
        tokens.issue("x", ["accounts:read"], 10_000, None)
    with pytest.raises(tokens.TokenError, match="scope"):
        tokens.issue("x", [], 30, None)
    assert not ApiToken.objects.exists()


def test_a_signed_in_person_reads_through_the_session_what_their_roles_grant(
    alice: User, alice_client: Client
) -> None:
    refused = alice_client.get("/api/accounts/users")
    assert refused.status_code == 403 and "accounts.view" in refused.json()["message"]
    RoleAssignment.objects.create(user=alice, role=Role.objects.get(code="internal_auditor"))
    response = alice_client.get("/api/accounts/users")
    assert response.status_code == 200
    assert response.json()["items"][0]["username"] == "alice"


def test_error_messages_follow_accept_language(client: Client) -> None:
    response = client.get("/api/accounts/users", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.json()["message"] == "認証情報がない、不正、期限切れ、または失効しています。"


def test_openapi_document_lists_the_endpoints(client: Client) -> None:
    schema = client.get("/api/openapi.json").json()
    assert "/api/accounts/users" in schema["paths"]
    assert "/api/health" in schema["paths"]


def test_administrator_issues_and_revokes_tokens_in_the_ui(admin_client: Client) -> None:
    page = admin_client.post(
        "/accounts/tokens/", {"name": "withdrawal gateway", "scopes": ["accounts:read"], "days": 30}
    )
    assert page.status_code == 200
    secret = page.content.decode().split('<p class="secret">')[1].split("<")[0].strip()
    assert tokens.authenticate(secret) is not None
    listing = admin_client.get("/accounts/tokens/").content.decode()
    assert secret not in listing  # shown once only
    token = ApiToken.objects.get()
    admin_client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert tokens.authenticate(secret) is None


def test_people_who_are_not_administrators_cannot_manage_tokens(alice_client: Client) -> None:
    assert alice_client.get("/accounts/tokens/").status_code == 403
    response = alice_client.post(
        "/accounts/tokens/", {"name": "x", "scopes": ["accounts:read"], "days": 30}
    )
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_platform_info_names_the_database(client: Client) -> None:
    from django.db import connection

    issued = tokens.issue("monitor", ["platform:read"], 30, None)
    body = client.get("/api/platform", **bearer(issued.secret)).json()
    assert body["database"] == connection.vendor
    assert "accounts" in body["modules"]


@pytest.mark.django_db(transaction=False)
def test_every_issued_token_authenticates_and_any_altered_one_does_not() -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(
        max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(position=st.integers(min_value=0, max_value=200), char=st.sampled_from("aZ9_-x"))
    def check(position: int, char: str) -> None:
        issued = tokens.issue("prop", ["accounts:read"], 1, None)
        assert tokens.authenticate(issued.secret) == issued.token
        index = position % len(issued.secret)
        altered = issued.secret[:index] + char + issued.secret[index + 1 :]
        if altered != issued.secret:
            assert tokens.authenticate(altered) is None

    check()


def test_a_page_beyond_any_list_is_refused_in_words_not_a_server_error(
    alice: User, alice_client: Client
) -> None:
    RoleAssignment.objects.create(user=alice, role=Role.objects.get(code="internal_auditor"))
    far = alice_client.get("/api/accounts/users?page=580800185849810979389440")
    assert far.status_code == 422
    assert far.json()["fields"][0]["field"].endswith("page")
    assert alice_client.get("/api/accounts/users?page=1000000").json()["items"] == []
