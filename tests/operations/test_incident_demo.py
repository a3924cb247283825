"""The demo's BTC drain halted withdrawals yesterday: that halt is incident INC-<year>-001."""

from __future__ import annotations

import pytest
from django.utils import timezone

from mamori.custody.models import Halt
from mamori.operations.models import Incident

pytestmark = pytest.mark.django_db


def test_the_demo_drain_is_the_first_incident_of_its_year_linked_to_the_halt() -> None:
    from mamori.core.demo import load_demo

    report = load_demo()
    halt = Halt.objects.get(scope="asset", key="BTC")
    incident = Incident.objects.get(source_key=f"custody:halt:{halt.halt_id}")
    year = timezone.localtime(halt.started_at).year
    assert incident.reference == f"INC-{year}-001"
    assert incident.assets == ["BTC"] and incident.commander is not None
    assert incident.links.get(object_type="custody.halt").object_key == str(halt.pk)
    assert any(incident.reference in line for line in report.lines)
    made = Incident.objects.count()
    load_demo()  # loading again raises nothing new
    assert Incident.objects.count() == made
