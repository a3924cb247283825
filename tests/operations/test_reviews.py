"""Post-incident reviews (SRM 9): a severe incident does not close without an approved review;
the commander, not the author, approves; actions are tracked until done; the lesson goes to the
incident catalogue; open incidents without a commander turn their control red."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mamori.operations import compliance_bcp
from mamori.operations.models import Incident, ReviewSetting
from mamori.operations.services import incidents, reviews
from mamori.operations.services.incidents import IncidentRefused
from tests.conftest import give, make_user, sign_in

pytestmark = pytest.mark.django_db

FACTS = {"customers_affected": 2_000}  # S2 by the starting rules


def _severe() -> tuple[Incident, object, object]:
    sgm = give(make_user("sgm-kato"), "system_general_manager")
    author = give(make_user("csirt-ono"), "csirt_member")
    incident = incidents.report("Trading halted", "matching engine", author, facts=FACTS)
    assert incident.severity == "S2" and incident.commander == sgm
    return incident, sgm, author


def _complete(incident: Incident, author: object, sgm: object) -> None:
    review = reviews.start(incident, author)  # type: ignore[arg-type]
    reviews.save(
        review,
        {
            "cause": "A full disk on the matching engine",
            "timeline_summary": "10:00 detected, 10:20 halted, 11:30 recovered",
            "worked": "The halt",
            "did_not_work": "Disk alerting",
        },
        author,  # type: ignore[arg-type]
    )
    reviews.submit(review, author)  # type: ignore[arg-type]
    reviews.approve(review, sgm)  # type: ignore[arg-type]


def test_closing_a_severe_incident_without_a_complete_review_is_refused() -> None:
    incident, sgm, author = _severe()
    with pytest.raises(IncidentRefused) as refused:
        incidents.change_status(incident, "closed", sgm)  # type: ignore[arg-type]
    assert refused.value.code == "review_required"
    review = reviews.start(incident, author)  # type: ignore[arg-type]
    reviews.save(review, {"cause": "disk"}, author)  # type: ignore[arg-type]
    with pytest.raises(reviews.ReviewRefused) as incomplete:
        reviews.submit(review, author)  # type: ignore[arg-type]
    assert incomplete.value.code == "review_incomplete"
    with pytest.raises(IncidentRefused):
        incidents.change_status(incident, "closed", sgm)  # type: ignore[arg-type]
    assert Incident.objects.get(pk=incident.pk).status != "closed"


def test_with_the_review_approved_by_the_commander_it_closes() -> None:
    incident, sgm, author = _severe()
    _complete(incident, author, sgm)
    closed = incidents.change_status(incident, "closed", sgm)  # type: ignore[arg-type]
    assert closed.status == "closed"


def test_the_author_does_not_approve_and_only_the_commander_does() -> None:
    incident, sgm, _author = _severe()
    other = give(make_user("ciso-hara"), "ciso")
    review = reviews.start(incident, sgm)  # type: ignore[arg-type]
    reviews.save(review, dict.fromkeys(reviews.TEXTS, "x"), sgm)  # type: ignore[arg-type]
    reviews.submit(review, sgm)  # type: ignore[arg-type]
    with pytest.raises(reviews.ReviewRefused) as own:
        reviews.approve(review, sgm)  # type: ignore[arg-type]
    assert own.value.code == "author_approves"
    with pytest.raises(reviews.ReviewRefused) as not_commander:
        reviews.approve(review, other)  # type: ignore[arg-type]
    assert not_commander.value.code == "not_commander"


def test_the_level_is_data_minor_ones_and_drills_close_freely() -> None:
    give(make_user("sgm-kato"), "system_general_manager")
    reporter = give(make_user("op-mori"), "operator")
    minor = incidents.report("A typo on the status page", "web", reporter)
    assert minor.severity == "S4" and not reviews.review_required(minor)
    drill = incidents.report("Drill", "", reporter, drill=True, facts=FACTS)
    assert not reviews.review_required(drill)
    ReviewSetting.objects.create(min_severity="S4", drills=True)
    assert reviews.review_required(minor) and reviews.review_required(drill)


def test_actions_past_due_turn_the_control_red_and_the_lesson_reaches_the_catalogue() -> None:
    from mamori.risk.models import ExternalIncident

    incident, sgm, author = _severe()
    assert not compliance_bcp.actions_on_time().evidence["measured"]
    _complete(incident, author, sgm)
    review = incident.review
    late = reviews.add_action(
        "Alert on disk use",
        author,
        timezone.localdate() - timedelta(days=1),
        sgm,
        review=review,  # type: ignore[arg-type]
    )
    assert not compliance_bcp.actions_on_time().passed
    reviews.complete_action(late, sgm)  # type: ignore[arg-type]
    assert compliance_bcp.actions_on_time().passed
    lesson = reviews.share_lesson(review, sgm)  # type: ignore[arg-type]
    assert ExternalIncident.objects.get(code=f"own-{incident.reference.lower()}") == lesson
    assert lesson.firm == reviews.OWN_FIRM


def test_an_open_incident_without_a_commander_turns_its_control_red() -> None:
    reporter = give(make_user("op-mori"), "operator")
    assert not compliance_bcp.incidents_commanded().evidence["measured"]
    incident = incidents.report("Nobody holds the role yet", "", reporter)
    assert incident.commander is None
    result = compliance_bcp.incidents_commanded()
    assert not result.passed and incident.reference in result.summary_en
    sgm = give(make_user("sgm-kato"), "system_general_manager")
    incidents.set_commander(incident, sgm, sgm)
    assert compliance_bcp.incidents_commanded().passed


def test_the_review_page_saves_submits_and_approves(client) -> None:
    incident, sgm, author = _severe()
    sign_in(client, author)
    url = f"/operations/reviews/{incident.reference}/"
    assert client.get(url).status_code == 200
    data = dict.fromkeys(reviews.TEXTS, "written")
    client.post(url + "save/", data)
    client.post(url + "submit/")
    client.logout()
    sign_in(client, sgm)
    client.post(url + "approve/")
    assert Incident.objects.get(pk=incident.pk).review.status == "approved"
    page = client.get(url).content.decode()
    assert "written" in page


def test_the_incident_page_shows_the_review_the_reports_and_the_containment_panels(
    client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # its reports are made on commit
        incident, sgm, _author = _severe()
    sign_in(client, sgm)  # type: ignore[arg-type]
    page = client.get(f"/operations/incidents/{incident.reference}/").content.decode()
    assert 'id="review-panel"' in page
    assert f"/operations/reviews/{incident.reference}/" in page
    assert "obligation-" in page  # its reports, with their clocks
    assert f"/guard/incidents/{incident.pk}/" in page  # containment launched from it
