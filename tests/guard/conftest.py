"""Fixtures of guard's tests: people in their roles, an incident, the functions."""

from __future__ import annotations

import pytest

from mamori.accounts.models import User
from mamori.guard.models import Function
from mamori.operations.models import Incident
from mamori.operations.services import incidents
from tests.conftest import give, make_user


@pytest.fixture
def crew(db: None) -> dict[str, User]:
    """A CSIRT member, a CISO, a system general manager, a second CSIRT member, an operator
    (who may only look) and someone with no role."""
    return {
        "csirt": give(make_user("csirt-ito"), "csirt_member"),
        "ciso": give(make_user("ciso-kim"), "ciso"),
        "sgm": give(make_user("sgm-sato"), "system_general_manager"),
        "csirt2": give(make_user("csirt-mori"), "csirt_member"),
        "operator": give(make_user("op-kobayashi"), "operator"),
        "nobody": make_user("nobody"),
    }


@pytest.fixture
def attack(crew: dict[str, User]) -> Incident:
    """An open S1 cyber attack."""
    return incidents.report(
        "Credential stuffing on login",
        "login API",
        crew["csirt"],
        kind=Incident.Kind.CYBER_ATTACK,
        facts={"customers_affected": 20_000},
    )


@pytest.fixture
def switch(db: None) -> dict[str, Function]:
    """The kill switch's functions of the demo."""
    from mamori.guard.demo import FUNCTIONS

    return {
        code: Function.objects.create(code=code, name_ja=ja, name_en=en)
        for code, ja, en in FUNCTIONS
    }
