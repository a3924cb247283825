"""Each record's History from the audit log, the audit page people can read, sign-ins that
name the person, reasons and owner lists (issue 25, point 9; ISM 23-1-2)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from mamori.accounts.models import LoginAttempt, User
from mamori.auditlog import services
from mamori.auditlog.context import acting
from mamori.auditlog.models import Entry
from mamori.custody.models import Halt
from mamori.reconciliation.models import Case, Run
from tests.conftest import PASSWORD, give, make_user, sign_in

pytestmark = pytest.mark.django_db


def named(username: str, display_name: str, *roles: str) -> User:
    person = give(make_user(username), *roles)
    person.display_name = display_name
    person.save(update_fields=["display_name"])
    return person


@pytest.fixture
def team() -> dict[str, User]:
    return {
        "ciso": named("yamamoto", "山本 花子", "ciso"),
        "operator": named("sato", "Sato Ken", "custody_operator"),
        "board": named("ito", "Ito Board", "board_member"),
        "auditor": named("kato", "Kato Audit", "internal_auditor"),
    }


def client_in(language: str, person: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    sign_in(client, person)
    return client


def open_case() -> Case:
    run = Run.objects.create(
        trigger="t", day=datetime.now(UTC).date(), started_at=datetime.now(UTC)
    )
    return Case.objects.create(
        asset="ETH", run=run, difference=-1, status="open", opened_at=datetime.now(UTC)
    )


def options(page: str, name: str) -> str:
    found = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert found, page
    return found.group(1)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("History", "changed", "owner", "Reason")),
        ("ja", ("履歴", "変更", "責任者", "理由")),
    ],
)
def test_a_cases_history_names_who_changed_the_owner_with_before_after_and_the_log_index(
    team, language, words
) -> None:
    case = open_case()
    ciso = client_in(language, team["ciso"])
    page = ciso.get(f"/reconciliation/cases/{case.pk}/").content.decode()
    offered = options(page, "owner")
    assert "Sato Ken" in offered and "山本 花子" in offered
    assert "Ito Board" not in offered and "Kato Audit" not in offered  # board, auditor
    ciso.post(
        f"/reconciliation/cases/{case.pk}/",
        {"do": "owner", "owner": team["operator"].pk, "reason": "on call this week"},
    )
    case.refresh_from_db()
    assert case.owner == team["operator"]
    entry = Entry.objects.get(
        object_type="reconciliation.case", object_id=str(case.pk), action="update"
    )
    assert entry.actor == "user:yamamoto"
    assert json.loads(entry.body)["details"]["reason"] == "on call this week"
    history = ciso.get(f"/reconciliation/cases/{case.pk}/").content.decode()
    history = history[history.index('id="history"') :]
    assert all(word in history for word in words)
    assert "山本 花子" in history  # the person, not user:yamamoto nor anonymous
    assert "— → Sato Ken" in history  # the owner before and after
    assert "on call this week" in history
    assert f'<a href="/audit/{entry.position}/#proof"' in history
    assert f">#{entry.position}</a>" in history
    services.issue_checkpoint()
    proof = ciso.get(f"/audit/{entry.position}/").content.decode()
    assert 'id="proof-state"' in proof and "status-ok" in proof
    assert "山本 花子" in proof and f'href="/reconciliation/cases/{case.pk}/"' in proof


def test_a_new_owner_without_a_reason_is_refused_in_the_readers_language(team) -> None:
    case = open_case()
    ciso = client_in("ja", team["ciso"])
    answer = ciso.post(
        f"/reconciliation/cases/{case.pk}/",
        {"do": "owner", "owner": team["operator"].pk, "reason": ""},
        follow=True,
    )
    case.refresh_from_db()
    assert case.owner is None
    page = answer.content.decode()
    assert "理由: このフィールドは必須です。" in page


def halted() -> Halt:
    return Halt.objects.create(
        halt_id="h-1",
        scope="asset",
        key="BTC",
        rule="W-1",
        event_id="e-1",
        started_at=datetime.now(UTC),
    )


@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        ("ja", "停止を解除してよい理由を入力してください。"),
        ("en", "Say why the halt may be lifted."),
    ],
)
def test_a_lift_request_without_a_reason_is_refused_with_a_translated_message(
    team, language, refusal
) -> None:
    halt = halted()
    operator = client_in(language, team["operator"])
    page = operator.post(f"/custody/halts/{halt.pk}/lift/", {"reason": " "}, follow=True)
    assert refusal in page.content.decode()
    halt.refresh_from_db()
    assert halt.lift_request is None


def test_a_lift_requests_reason_is_shown_in_the_approval_and_the_halts_history(team) -> None:
    halt = halted()
    operator = client_in("en", team["operator"])
    operator.post(f"/custody/halts/{halt.pk}/lift/", {"reason": "the node was resynced"})
    halt.refresh_from_db()
    assert halt.lift_request is not None
    ciso = client_in("en", team["ciso"])
    approval = ciso.get(f"/accounts/approvals/{halt.lift_request_id}/").content.decode()
    assert "the node was resynced" in approval
    page = ciso.get(f"/custody/halts/{halt.pk}/").content.decode()
    history = page[page.index('id="history"') :]
    assert "Sato Ken" in history and "Reason: the node was resynced" in history
    assert "lift request" in history
    overview = ciso.get("/custody/").content.decode()
    assert f'href="/custody/halts/{halt.pk}/"' in overview


def test_the_audit_page_hides_scheduled_jobs_and_finds_people_by_part_of_their_name(
    team,
) -> None:
    with acting("system"):
        services.record("job.noise", "scheduler.run", "1")
    with acting("user:yamamoto"):
        services.record("test.by_yamamoto", "test.thing", "1")
    with acting("user:sato"):
        services.record("test.by_sato", "test.thing", "2")
    auditor = client_in("en", team["auditor"])
    page = auditor.get("/audit/").content.decode()
    assert "job.noise" not in page and "test.by_yamamoto" in page
    assert "Entries of scheduled jobs and tools are hidden." in page
    assert "job.noise" in auditor.get("/audit/?system=1").content.decode()
    by_name = auditor.get("/audit/?actor=山本").content.decode()  # part of the display name
    assert "test.by_yamamoto" in by_name and "test.by_sato" not in by_name
    by_username = auditor.get("/audit/?actor=YAMA").content.decode()  # part of the user name
    assert "test.by_yamamoto" in by_username and "test.by_sato" not in by_username
    assert "山本 花子" in by_username  # the person's name, not user:yamamoto


def test_an_entry_links_to_its_records_page(team) -> None:
    halt = halted()
    auditor = client_in("en", team["auditor"])
    page = auditor.get("/audit/?object_type=custody.halt&system=1").content.decode()
    assert f'<a href="/custody/halts/{halt.pk}/">custody.halt:{halt.pk}</a>' in page


def test_sign_ins_name_the_person_and_failures_the_user_name_tried(client: Client) -> None:
    alice = make_user("alice")
    client.post("/accounts/login/", {"username": "alice", "password": "wrong horse"})
    failure = Entry.objects.get(action="signin.failure")
    assert failure.actor == "anonymous:alice"
    assert "wrong horse" not in failure.body
    sign_in(client, alice)
    successes = Entry.objects.filter(action="signin.success")
    assert successes.count() == 2  # the password, then the code
    assert {entry.actor for entry in successes} == {"user:alice"}
    assert PASSWORD not in "".join(entry.body for entry in Entry.objects.all())
    assert LoginAttempt.objects.filter(user=alice, outcome="success").count() == 2


def test_people_role_assignments_and_assets_have_pages_with_their_history(team) -> None:
    from mamori.accounts.models import RoleAssignment

    ciso = client_in("en", team["ciso"])
    people = ciso.get("/accounts/people/").content.decode()
    operator = team["operator"]
    assert f'href="/accounts/people/{operator.pk}/"' in people
    person = ciso.get(f"/accounts/people/{operator.pk}/").content.decode()
    held = RoleAssignment.objects.get(user=operator)
    assert "Custody operator" in person and f'href="/accounts/roles/{held.pk}/"' in person
    assert 'id="history"' in person
    assignment = ciso.get(f"/accounts/roles/{held.pk}/").content.decode()
    assert "Sato Ken" in assignment and "created" in assignment
    from mamori.risk.models import InformationAsset

    ciso.post(
        "/risk/assets/",
        {
            "code": "wallet-db",
            "name_ja": "ウォレットDB",
            "name_en": "Wallet DB",
            "kind": "information",
            "classification": "confidential",
            "value": 4,
            "owner": team["ciso"].pk,
            "location_kind": "system",
        },
    )
    asset = InformationAsset.objects.get(code="wallet-db")
    listing = ciso.get("/risk/assets/").content.decode()
    assert f'href="/risk/assets/{asset.pk}/"' in listing
    page = ciso.get(f"/risk/assets/{asset.pk}/").content.decode()
    history = page[page.index('id="history"') :]
    assert "山本 花子" in history and "owner: — → 山本 花子" in history


def test_the_asset_owner_list_offers_only_people_who_may_own_risks(team) -> None:
    page = client_in("en", team["ciso"]).get("/risk/assets/").content.decode()
    offered = options(page, "owner")
    assert "山本 花子" in offered
    assert "Ito Board" not in offered and "Kato Audit" not in offered


def test_access_review_outcomes_can_be_read_and_downloaded(team) -> None:
    from mamori.accounts.services import roles

    review = roles.open_access_review()
    ciso = client_in("en", team["ciso"])
    reviews = ciso.get("/accounts/access-reviews/").content.decode()
    assert f'href="/accounts/access-reviews/{review.pk}/"' in reviews
    page = ciso.get(f"/accounts/access-reviews/{review.pk}/").content.decode()
    assert "Sato Ken" in page and "Custody operator" in page and "pending" in page
    download = ciso.get(f"/accounts/access-reviews/{review.pk}/?export=csv")
    text = download.content.decode("utf-8-sig")
    assert "Sato Ken" in text and "Custody operator" in text
    assert Entry.objects.filter(action="export", object_type="accounts.access_review").exists()
