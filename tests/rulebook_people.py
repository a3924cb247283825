"""People holding the roles the rulebook pages and approvals need."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import make_user, sign_in
from mamori.accounts.models import Role, RoleAssignment, User


def give(user: User, *codes: str) -> User:
    for code in codes:
        RoleAssignment.objects.create(user=user, role=Role.objects.get(code=code))
    return user


@pytest.fixture
def people(db: None) -> dict[str, User]:
    """A CISO (manager of the rulebook), a system general manager, a board member, an
    internal auditor and someone with no role."""
    return {
        "ciso": give(make_user("ciso-kim"), "ciso"),
        "sgm": give(make_user("sgm-sato"), "system_general_manager"),
        "board": give(make_user("board-ito"), "board_member"),
        "auditor": give(make_user("audit-kato"), "internal_auditor"),
        "nobody": make_user("nobody"),
    }


def client_for(user: User) -> Client:
    client = Client()
    sign_in(client, user)
    return client
