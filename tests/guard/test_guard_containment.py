"""Containment launched from an incident and recorded on its timeline (SRM 10-2): the kill
switch (off at once, back on only with two other people), halting an asset's withdrawals
through the custody monitor, and the control measuring that severe attacks were contained."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals, tokens
from mamori.custody.models import Halt
from mamori.guard import compliance
from mamori.guard.models import ContainmentAction, Function
from mamori.guard.services import containment, functions
from mamori.operations.models import Incident, IncidentLink, TimelineEntry
from tests.conftest import monitored_btc, sign_in

pytestmark = pytest.mark.django_db

BTC = 100_000_000


def test_a_function_turned_off_from_the_incident_page_is_on_its_timeline(
    english: None, crew: dict[str, User], attack: Incident, switch: dict[str, Function]
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    sign_in(client, crew["csirt"])
    answer = client.post(
        "/guard/functions/stop/",
        {
            "function": switch["login"].pk,
            "state": "off",
            "reason": "credential stuffing",
            "incident": attack.pk,
        },
    )
    assert answer.status_code == 302 and answer["Location"] == f"/guard/incidents/{attack.pk}/"
    login = Function.objects.get(code="login")
    assert (login.state, login.reason, login.incident) == ("off", "credential stuffing", attack)
    assert login.changed_by == crew["csirt"]
    action = ContainmentAction.objects.get(incident=attack)
    entry = TimelineEntry.objects.get(incident=attack, kind="containment")
    assert entry.at == action.at == login.changed_at
    assert entry.text == "Login: on → off"
    page = client.get(f"/guard/incidents/{attack.pk}/").content.decode()
    assert "Login: on → off" in page


def test_switching_a_function_back_on_needs_two_people_other_than_the_one_asking(
    crew: dict[str, User], attack: Incident, switch: dict[str, Function]
) -> None:
    functions.stop(switch["trading"], "degraded", crew["csirt"], "slow matching", attack)
    with pytest.raises(functions.FunctionRefused) as refused:
        functions.stop(switch["trading"], "on", crew["csirt"], "done", attack)
    assert refused.value.code == "bad_state"
    request = functions.request_restore(switch["trading"], crew["csirt"], "matching recovered")
    assert request.policy.code == "guard_function_restore"
    with pytest.raises(approvals.ApprovalRefused) as own:
        approvals.decide(request.pk, crew["csirt"], "approve", "mine")
    assert own.value.code == "self_approval"
    with pytest.raises(functions.FunctionRefused):
        functions.request_restore(switch["trading"], crew["ciso"], "again")
    approvals.decide(request.pk, crew["ciso"], "approve", "checked")
    assert Function.objects.get(code="trading").state == "degraded"
    approvals.decide(request.pk, crew["csirt2"], "approve", "checked")
    trading = Function.objects.get(code="trading")
    assert trading.state == "on"
    assert ApprovalRequest.objects.get(pk=request.pk).status == "approved"
    kinds = list(TimelineEntry.objects.filter(incident=attack).values_list("kind", flat=True))
    assert kinds[-1] == "containment_lifted"


def test_stopping_a_function_needs_guard_manage(
    crew: dict[str, User], switch: dict[str, Function]
) -> None:
    with pytest.raises(functions.FunctionRefused) as refused:
        functions.stop(switch["login"], "off", crew["operator"], "x")
    assert refused.value.code == "forbidden"
    client = Client()
    sign_in(client, crew["operator"])
    answer = client.post(
        "/guard/functions/stop/",
        {"function": switch["login"].pk, "state": "off", "reason": "x"},
    )
    assert answer.status_code == 403
    assert Function.objects.get(code="login").state == "on"


def test_others_read_each_function_state_with_a_token(
    crew: dict[str, User], switch: dict[str, Function]
) -> None:
    functions.stop(switch["deposits"], "off", crew["csirt"], "suspicious deposits")
    secret = tokens.issue("frontend", ["guard:read"], 1, None).secret
    answer = Client().get("/api/guard/functions", HTTP_AUTHORIZATION=f"Bearer {secret}")
    states = {row["code"]: row["state"] for row in answer.json()}
    assert states == {
        "crypto-withdrawals": "on",
        "deposits": "off",
        "jpy-withdrawals": "on",
        "login": "on",
        "trading": "on",
    }
    assert "reason" not in answer.json()[0]


def test_halting_withdrawals_goes_through_the_custody_monitor_and_its_two_person_lift(
    crew: dict[str, User], attack: Incident
) -> None:
    monitored_btc(crew["ciso"], [("single", "single", "hold", 5 * BTC, None)])
    halt, action = containment.halt_withdrawals("BTC", crew["csirt"], "drain suspected", attack)
    assert (halt.scope, halt.key, halt.lifted_at) == ("asset", "BTC", None)
    assert halt.rule.startswith(f"guard-{attack.reference}")
    assert IncidentLink.objects.filter(
        incident=attack, object_type="custody.halt", object_key=str(halt.pk)
    ).exists()
    entry = TimelineEntry.objects.get(incident=attack, kind="containment")
    assert entry.at == action.at and "BTC" in entry.text
    from mamori.custody.services import halts, monitor

    assert halt.halt_id in monitor.current().halts
    from mamori.operations.services import sources

    before = Incident.objects.count()
    assert sources.raise_for_halt(halt.halt_id) == attack  # its own incident, not a second
    assert Incident.objects.count() == before
    again, _ = containment.halt_withdrawals("BTC", crew["csirt"], "still", attack)
    assert again.pk == halt.pk  # the halt in force, not a second one
    request = halts.request_lift(halt, crew["csirt"], "contained")
    assert request.policy.code == "halt_lift"


def test_halting_an_unknown_asset_is_refused_with_the_monitors_reason(
    crew: dict[str, User], attack: Incident
) -> None:
    from mamori.custody.services.halts import HaltRefused

    with pytest.raises(HaltRefused) as refused:
        containment.halt_withdrawals("DOGE", crew["csirt"], "x", attack)
    assert refused.value.code == "unknown_asset"
    assert not Halt.objects.exists() and not ContainmentAction.objects.exists()


def test_the_control_is_not_measured_without_a_severe_open_attack(crew: dict[str, User]) -> None:
    result = compliance.containment_recorded()
    assert not result.passed and result.evidence == {"measured": False}


def test_the_control_is_red_for_a_severe_attack_left_uncontained(
    crew: dict[str, User], attack: Incident, switch: dict[str, Function]
) -> None:
    assert attack.severity == "S1"
    now = timezone.now()
    assert compliance.containment_recorded(now).passed  # not yet due
    late = compliance.containment_recorded(now + timedelta(hours=5))
    assert not late.passed and late.evidence["late"] == [attack.reference]
    functions.stop(switch["login"], "off", crew["csirt"], "stuffing", attack)
    assert compliance.containment_recorded(now + timedelta(hours=5)).passed
    Incident.objects.filter(pk=attack.pk).update(status="closed")  # reviewed and closed
    assert compliance.containment_recorded(now).evidence == {"measured": False}
