"""The CSIRT (SRM 9-3): who is on call follows the weekly rotation (property test against a
day-by-day walk), contact details are masked in the list and its export and shown in full on the
member's page, shared threat information reaches the incident catalogue, and the control."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from mamori.engines.incidents.oncall import on_call_index
from mamori.operations import compliance_bcp
from mamori.operations.services import csirt
from tests.conftest import give, make_user, sign_in


def _walk(members: int, starts_on: date, today: date) -> int | None:
    """Brute force: walk from the start, handing over every seventh day."""
    if members == 0 or today < starts_on:
        return None
    index, day = 0, starts_on
    while day < today:
        day += timedelta(days=1)
        if (day - starts_on).days % 7 == 0:
            index = (index + 1) % members
    return index


@given(
    members=st.integers(min_value=0, max_value=9),
    starts_on=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
    offset=st.integers(min_value=-30, max_value=800),
)
def test_who_is_on_call_matches_a_day_by_day_walk(
    members: int, starts_on: date, offset: int
) -> None:
    today = starts_on + timedelta(days=offset)
    assert on_call_index(members, starts_on, today) == _walk(members, starts_on, today)


@pytest.mark.django_db
def test_the_roster_masks_contacts_in_the_list_and_export_and_shows_them_on_the_detail(
    client,
) -> None:
    viewer = give(make_user("csirt-ono"), "csirt_member")
    member = csirt.add_member(viewer, "lead", "090-1234-5678", "ono@example.jp", 0)
    sign_in(client, viewer)
    page = client.get("/operations/csirt/").content.decode()
    assert "090-1234-5678" not in page and "ono@example.jp" not in page
    assert csirt.mask_phone("090-1234-5678") in page and "o•••@example.jp" in page
    export = client.get("/operations/csirt/?m-export=csv").content.decode()
    assert "090-1234-5678" not in export and "ono@example.jp" not in export
    detail = client.get(f"/operations/csirt/members/{member.pk}/").content.decode()
    assert "090-1234-5678" in detail and "ono@example.jp" in detail


@pytest.mark.django_db
def test_on_call_now_and_contacts_make_the_control_green() -> None:
    assert not compliance_bcp.csirt_ready().evidence["measured"]
    first = csirt.add_member(
        give(make_user("a"), "csirt_member"), "lead", "0311112222", "a@x.jp", 0
    )
    second = csirt.add_member(
        give(make_user("b"), "csirt_member"), "analyst", "0311113333", "b@x.jp", 1
    )
    today = timezone.localdate()
    csirt.set_rotation(today - timedelta(days=7))
    assert csirt.on_call(today) == second
    assert csirt.on_call(today + timedelta(days=7)) == first
    result = compliance_bcp.csirt_ready()
    assert not result.passed and "cert" in result.summary_en
    csirt.add_contact("JPCERT/CC", "cert", "incident coordination", "https://www.jpcert.or.jp/")
    csirt.add_contact("JVCEA", "association", "reports", "03-0000-0000")
    assert compliance_bcp.csirt_ready().passed


@pytest.mark.django_db
def test_shared_threat_information_enters_the_incident_catalogue() -> None:
    from mamori.risk.models import ExternalIncident

    by = give(make_user("csirt-ono"), "csirt_member")
    with pytest.raises(csirt.CsirtRefused):
        csirt.take_threat_intel("JPCERT/CC", "", "", date(2026, 11, 1), by)
    intel = csirt.take_threat_intel(
        "JPCERT/CC",
        "Wallet drainer campaign",
        "Phishing sites drain wallets",
        date(2026, 11, 1),
        by,
    )
    entry = ExternalIncident.objects.get(pk=intel.catalogue_entry_id)
    assert entry.firm == "JPCERT/CC" and entry.year == 2026 and entry.code.startswith("ti-")
