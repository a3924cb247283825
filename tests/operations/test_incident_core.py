"""The incident register's core: a report, severity by rules, the commander by kind, the
timeline, idempotent raising by a service (SRM 6-1-3, 7-3; ISM 8-1-3, 9-3)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from mamori.engines import incidents as engine
from mamori.operations.models import Incident
from mamori.operations.services import incidents
from tests.conftest import give, make_user

pytestmark = pytest.mark.django_db


def test_a_report_in_two_fields_gets_a_reference_a_commander_and_a_timeline() -> None:
    sgm = give(make_user("sgm-kato"), "system_general_manager")
    give(make_user("ciso-hara"), "ciso")
    reporter = give(make_user("op-mori"), "operator")
    incident = incidents.report("Order API answers 500", "api-gw-1", reporter)
    assert incident.reference.startswith(f"INC-{timezone.localtime().year}-")
    assert incident.commander == sgm
    assert [e.kind for e in incident.timeline.all()] == ["reported", "commander"]
    second = incidents.report("Login slow", "", reporter)
    assert int(second.reference[-3:]) == int(incident.reference[-3:]) + 1


def test_a_leak_is_commanded_by_the_ciso_and_graded_by_the_rules() -> None:
    give(make_user("sgm-kato"), "system_general_manager")
    ciso = give(make_user("ciso-hara"), "ciso")
    reporter = give(make_user("op-mori"), "operator")
    incident = incidents.report(
        "Customer list mailed outside",
        "mail",
        reporter,
        kind=Incident.Kind.INFORMATION_LEAK,
        facts={"records_affected": 20_000},
    )
    assert incident.commander == ciso
    assert incident.severity == "S1" and incident.personal_data


def test_a_service_raising_the_same_key_twice_makes_one_incident() -> None:
    first, new = incidents.raise_incident(
        Incident.Source.CUSTODY,
        "custody:halt:h-1",
        "BTC withdrawals halted",
        Incident.Kind.SYSTEM_FAILURE,
        links=[("custody.halt", "h-1", "halt h-1")],
    )
    again, new_again = incidents.raise_incident(
        Incident.Source.CUSTODY, "custody:halt:h-1", "BTC", Incident.Kind.SYSTEM_FAILURE
    )
    assert new and not new_again and again.pk == first.pk
    assert first.links.get().object_key == "h-1"


def test_a_closed_incident_refuses_changes_and_a_future_detection_is_refused() -> None:
    sgm = give(make_user("sgm-kato"), "system_general_manager")
    incident = incidents.report("x", "y", sgm)
    incidents.change_status(incident, "closed", sgm)
    with pytest.raises(incidents.IncidentRefused) as refused:
        incidents.change_status(incident, "responding", sgm)
    assert refused.value.code == "incident_closed"
    with pytest.raises(incidents.IncidentRefused):
        incidents.report("x", "y", sgm, detected_at=timezone.now() + timedelta(hours=1))


FACT_VALUES = st.integers(min_value=0, max_value=10**9)


@given(
    facts=st.tuples(FACT_VALUES, FACT_VALUES, FACT_VALUES, FACT_VALUES),
    rules=st.lists(
        st.tuples(
            st.sampled_from(engine.SEVERITIES),
            st.sampled_from(engine.FACTS),
            st.integers(min_value=0, max_value=10**9),
        ),
        max_size=8,
    ),
)
def test_the_grade_is_the_most_severe_matching_rule(facts, rules) -> None:
    known = engine.Facts(facts[0], Decimal(facts[1]), facts[2], facts[3])
    parsed = [engine.SeverityRule(s, f, Decimal(t)) for s, f, t in rules]
    severity, _rule = engine.grade("other", known, parsed)
    matched = [r.severity for r in parsed if known.value(r.fact) >= r.at_least]
    assert severity == (min(matched) if matched else "S4")
