"""A page's menu and header read the person's roles once, not at each of their checks (some
sixty a page: one database query each before)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mamori.accounts.services.roles import has_permission, permissions_remembered
from mamori.core.navigation import CHAPTERS
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db

PERMISSIONS = ["rulebook.manage", "rulebook.view", "keys.manage", "no.such_permission"]


def _role_reads(queries: CaptureQueriesContext) -> int:
    return sum("accounts_roleassignment" in q["sql"] for q in queries.captured_queries)


def test_inside_the_block_the_roles_are_read_once_and_answer_the_same() -> None:
    person = give(make_user("remembered"), "ciso")
    outside = [has_permission(person, p) for p in PERMISSIONS]
    with CaptureQueriesContext(connection) as queries, permissions_remembered():
        inside = [has_permission(person, p) for p in PERMISSIONS * 6]
    assert inside == outside * 6 and True in outside and False in outside
    assert _role_reads(queries) == 1


def test_a_page_does_not_read_the_roles_once_per_menu_entry() -> None:
    client = client_for(give(make_user("menu-reader"), "ciso"))
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/rulebook/")
    assert page.status_code == 200
    entries = sum(len(chapter.entries) for chapter in CHAPTERS)
    assert entries > 40
    assert _role_reads(queries) < 12  # the view's own checks, and one for menu and header


def test_a_role_granted_or_revoked_inside_the_block_or_after_it_counts_at_once() -> None:
    from mamori.accounts.models import RoleAssignment
    from mamori.accounts.services.roles import _end

    person = make_user("changed-inside")
    with permissions_remembered():
        assert not has_permission(person, "rulebook.manage")
        give(person, "ciso")
        assert has_permission(person, "rulebook.manage")
        _end(RoleAssignment.objects.get(user=person), None)  # revoked by an update
        assert not has_permission(person, "rulebook.manage")
    give(person, "board_member")
    assert has_permission(person, "rulebook.view")
