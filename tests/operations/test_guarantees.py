"""What an insider might try against the incident register, refused (SRM 9, 6-1-3): lowering
the facts to skip the review, approving a review one wrote, breaking the page with a link,
a report time without its offset."""

from __future__ import annotations

import pytest

from mamori.operations.services import incidents, reviews
from mamori.operations.services.incidents import IncidentRefused
from tests.conftest import client_for, give, make_user

pytestmark = pytest.mark.django_db


def _severe():
    sgm = give(make_user("sgm-kato"), "system_general_manager")
    csirt = give(make_user("csirt-ono"), "csirt_member")
    incident = incidents.report(
        "Trading halted", "matching engine", csirt, facts={"customers_affected": 2_000}
    )
    assert incident.severity == "S2" and incident.commander == sgm
    return incident, sgm, csirt


def test_lowering_the_facts_does_not_spare_a_severe_incident_its_review() -> None:
    incident, _sgm, csirt = _severe()
    incidents.update_facts(incident, {"customers_affected": 0}, csirt)
    incident.refresh_from_db()
    assert incident.severity == "S4" and reviews.peak_severity(incident) == "S2"
    with pytest.raises(IncidentRefused) as refused:
        incidents.change_status(incident, "closed", csirt)
    assert refused.value.code == "review_required" and "S2" in refused.value.message


def test_a_commander_who_wrote_the_review_does_not_approve_it() -> None:
    incident, sgm, csirt = _severe()
    review = reviews.start(incident, csirt)  # the CSIRT member begins it
    texts = {"cause": "disk", "timeline_summary": "t", "worked": "w", "did_not_work": "d"}
    reviews.save(review, texts, sgm)  # the commander writes it
    reviews.submit(review, sgm)
    with pytest.raises(reviews.ReviewRefused) as refused:
        reviews.approve(review, sgm)
    assert refused.value.code == "author_approves"


def test_a_link_naming_no_record_never_breaks_the_incident_page() -> None:
    incident, sgm, _csirt = _severe()
    incidents.link(incident, "operations.incident", "abc", "typed by hand")
    page = client_for(sgm).get(f"/operations/incidents/{incident.reference}/")
    assert page.status_code == 200 and "typed by hand" in page.content.decode()


def test_a_report_time_without_its_offset_is_read_as_local_time(
    django_capture_on_commit_callbacks,
) -> None:
    from datetime import datetime

    from django.utils import timezone

    from mamori.operations.models import Obligation
    from mamori.operations.services import obligations

    with django_capture_on_commit_callbacks(execute=True):
        incident, _sgm, csirt = _severe()
    owed = Obligation.objects.filter(incident=incident, status="due").first()
    assert owed is not None
    local = timezone.localtime().replace(tzinfo=None)
    assert isinstance(local, datetime)
    sent = obligations.mark_sent(owed, csirt, local, csirt)
    assert sent.sent_at is not None and timezone.is_aware(sent.sent_at)
