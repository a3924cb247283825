"""Fuzzing of the whole API from its OpenAPI document (schemathesis), on the test database.

Every operation is called with generated bodies, parameters and query strings — valid ones
and ones the schema forbids — with a token of every scope and, for the rulebook's writes,
a token a person issued. The two properties asked of every answer: no server error (5xx),
and a body that matches the document where it documents the status. Run on SQLite and on
PostgreSQL like the rest of the suite.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from mamori.accounts.models import Role, RoleAssignment
from mamori.accounts.services import tokens
from mamori.core.api import api
from mamori.core.scopes import known_scopes
from tests.conftest import make_user

#: Examples per operation: enough to cross every field with bad values, small enough that the
#: whole API is fuzzed in well under a minute on a 2-core machine.
EXAMPLES = 25


@pytest.fixture
def in_process(db: None) -> Iterator[Any]:
    """Return the WSGI application, called in this process within the test's transaction (as
    Django's test client does, requests do not close the database connection)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schema.app
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


#: The OpenAPI document the API serves at /api/openapi.json, called in this process.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


@pytest.fixture
def bearer(db: None) -> Iterator[dict[str, str]]:
    """A service token with every scope, and a monitored asset to check withdrawals of."""
    from mamori.custody.services import monitor
    from tests.conftest import monitored_btc

    monitor.reset()
    officer = make_user("fuzz-officer")
    for code in ("ciso", "system_general_manager", "internal_auditor"):
        RoleAssignment.objects.create(user=officer, role=Role.objects.get(code=code))
    monitored_btc(officer, [("b1", "all", "halt", 10**12, 3600)])
    service = tokens.issue("fuzz", known_scopes(), 1, None).secret
    yield {"Authorization": f"Bearer {service}"}
    monitor.reset()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
@pytest.mark.django_db
def test_no_operation_answers_with_a_server_error_or_outside_its_schema(
    case: Any, in_process: Any, bearer: dict[str, str]
) -> None:
    case.call_and_validate(headers=bearer, checks=[not_a_server_error, response_schema_conformance])
