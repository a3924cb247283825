"""The authorization matrix, generated from what each route declares (SRM 8-5, ISM 23-1-1).

Every page and every API operation declares the permission it needs. For every role the
installation knows (one person each), a person with no role and an administrator, every route
is called: it must refuse (403, or the sign-in page) exactly those whose roles do not grant the
declared permission, and let the others through to the route itself (which may then say 404 for
the made-up record, 405 or 422 for the empty body — anything but a refusal). Tokens are checked
the same way: with the scope, without it, and issued by a person who lacks the permission.
A route that declares nothing fails the first two tests.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from mamori.accounts.models import Department, Role, RoleAssignment, User
from mamori.accounts.services import tokens
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import PUBLIC
from mamori.core.api import TokenAuth, api, declared_permission
from mamori.core.scopes import SIGNED_IN, permission_for
from tests.conftest import make_user, sign_in

pytestmark = pytest.mark.django_db

MADE_UP = {"int": "987654", "str": "zz-none", "slug": "zz-none", "path": "zz-none"}


@dataclass(frozen=True)
class Page:
    """A page route with made-up values for its parameters."""

    name: str
    url: str
    permission: str | None


@dataclass(frozen=True)
class Operation:
    """An API operation: method, made-up URL, declared permission and token scope."""

    method: str
    url: str
    permissions: tuple[str | None, ...]
    scope: str | None
    tokens_allowed: bool
    person_required: bool


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            space = namespace
            if entry.namespace:
                space = f"{namespace}{entry.namespace}:"
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), space)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), entry.callback


def _fill(route: str) -> str:
    def made_up(match: re.Match[str]) -> str:
        converter = match.group(1) or "str"
        return MADE_UP.get(converter, "zz-none")

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", made_up, route)


def pages() -> list[Page]:
    """Return every page route (not the API, not static files)."""
    found = []
    for name, route, view in _walk(get_resolver().url_patterns):
        if route.startswith("api/") or route.startswith("static"):
            continue
        found.append(Page(name, _fill(route), getattr(view, "required_permission", None)))
    return found


def operations() -> list[Operation]:
    """Return every API operation, as its router declares it (the URL configuration loaded
    first: the routers are added to the API there)."""
    get_resolver().url_patterns  # imports mamori.urls, which adds the routers
    found = []
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            url = "/api" + (prefix + path).replace("//", "/")
            url = re.sub(r"\{(?:\w+:)?(\w+)\}", lambda m: MADE_UP["int"], url)
            for operation in view.operations:
                auths = operation.auth_callbacks or []
                token = next((a for a in auths if isinstance(a, TokenAuth)), None)
                for method in operation.methods:
                    found.append(
                        Operation(
                            method,
                            url.rstrip("/") or "/api",
                            tuple(declared_permission(a) for a in auths),
                            token.scope if token else None,
                            token is not None,
                            bool(token and token.person_required),
                        )
                    )
    return found


def test_every_page_declares_the_permission_it_needs() -> None:
    undeclared = [page.name for page in pages() if page.permission is None]
    assert undeclared == [], f"pages without a declared permission: {undeclared}"


def test_every_api_operation_declares_the_permission_it_needs() -> None:
    assert len(operations()) > 60  # every router, not only those loaded by chance
    undeclared = [
        f"{op.method} {op.url}"
        for op in operations()
        if op.url != "/api/health" and (not op.permissions or None in op.permissions)
    ]
    assert undeclared == [], f"API operations without a declared permission: {undeclared}"


#: Every role the installation seeds, a person with no role and an administrator with none.
ROLES = [
    *(row[0] for row in importlib.import_module("mamori.accounts.migrations.0002_roles").ROLES),
    "representative_director",  # SRM 5-2, added by operations' 0006_bcp_permissions
]
WHO = [*ROLES, "no role", "administrator"]


def test_the_matrix_covers_every_role_there_is() -> None:
    assert sorted(Role.objects.values_list("code", flat=True)) == sorted(ROLES)


def person_for(who: str) -> User:
    """Return a signed-up person holding the role ``who`` (for a department where the role is
    held for one), or none (``no role``), or an administrator without a role."""
    if who == "administrator":
        return make_user("adm", superuser=True)
    person = make_user(f"r-{who}"[:30])
    if who != "no role":
        role = Role.objects.get(code=who)
        department = None
        if role.per_department:
            department = Department.objects.create(code="matrix", name_ja="検査部", name_en="M")
        RoleAssignment.objects.create(user=person, role=role, department=department)
    return person


def _answer(client: Client, method: str, url: str, **extra: Any) -> Any:
    if method == "GET":
        return client.get(url, **extra)
    return client.generic(method, url, b"", content_type="application/json", **extra)


def _call(client: Client, method: str, url: str, **extra: Any) -> int:
    return int(_answer(client, method, url, **extra).status_code)


def _page_status(client: Client, url: str) -> int:
    status = client.get(url).status_code
    if status == 405:
        status = client.post(url).status_code
    return status


def test_pages_send_anyone_not_signed_in_to_sign_in() -> None:
    anonymous = Client()
    wrong = []
    for page in pages():
        if page.permission in (PUBLIC, None):
            continue
        status = _page_status(anonymous, page.url)
        if status not in (302, 403):
            wrong.append(f"{page.url}: {status}")
    assert wrong == []


@pytest.mark.parametrize("who", WHO)
def test_pages_let_through_exactly_the_roles_that_grant_their_permission(who: str) -> None:
    person = person_for(who)
    client = Client()
    sign_in(client, person)
    wrong = []
    for page in pages():
        if page.permission in (PUBLIC, None):
            continue
        allowed = has_permission(person, page.permission)
        status = _page_status(client, page.url)
        if allowed == (status == 403):
            wrong.append(f"{page.url} ({page.permission}): {status}")
    assert wrong == []


@pytest.mark.parametrize("who", WHO)
def test_api_lets_through_exactly_the_roles_that_grant_the_declared_permission(who: str) -> None:
    person = person_for(who)
    client = Client()
    sign_in(client, person)
    wrong = []
    for op in operations():
        if op.url == "/api/health":
            continue
        allowed = any(has_permission(person, p) for p in op.permissions if p)
        status = _call(client, op.method, op.url)
        if allowed == (status in (401, 403)):
            wrong.append(f"{op.method} {op.url} ({op.permissions}): {status}")
    assert wrong == []


def test_tokens_need_the_scope_and_an_issuer_who_still_holds_its_permission() -> None:
    wrong = []
    scoped = [op for op in operations() if op.tokens_allowed and op.scope is not None]
    nobody = person_for("no role")
    # every active person holds signed_in (their own tasks, their search): a person who left
    # does not
    gone = User.objects.create(username="gone", is_active=False)
    for op in scoped:
        assert op.scope is not None
        service = tokens.issue("service", [op.scope], 1, None).secret
        other_scope = "platform:read" if op.scope != "platform:read" else "rulebook:read"
        other = tokens.issue("other", [other_scope], 1, None).secret
        cases = (("with scope", service, op.person_required), ("without", other, True))
        for label, secret, refused in cases:
            answer = _answer(Client(), op.method, op.url, HTTP_AUTHORIZATION=f"Bearer {secret}")
            if (answer.status_code in (401, 403)) != refused:
                wrong.append(f"token {label} {op.method} {op.url}: {answer.content!r}")
        issued = tokens.issue("by-nobody", [op.scope], 1, None)
        lacking = gone if permission_for(op.scope) == SIGNED_IN else nobody
        issued.token.created_by = lacking  # issued by a person who lacks the permission
        issued.token.save(update_fields=["created_by"])
        status = _call(Client(), op.method, op.url, HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
        if status != 403:
            wrong.append(f"token of a person without the permission {op.method} {op.url}: {status}")
    assert wrong == []
