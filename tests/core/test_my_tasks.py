"""My tasks, the header's counts and the reminders before due dates (issue 25, point 4).

The demo exchange is loaded (people, the access review, the risk register and its plan, the
rulebook); the board approves plan v1, so tanaka — who manages two people, owns three risks
and holds the roles that own controls — has review items, a residual-risk sign-off (ISM 20),
treatment actions (ISM 19-1) and controls to review (SRM 4-3) waiting on him.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone

from mamori.accounts.models import User
from mamori.core.demo import DemoReport
from mamori.notifications.models import Delivery, Notification, Reminder
from mamori.notifications.services import Recipient, notify
from tests.conftest import PASSWORD, client_for, make_user

pytestmark = pytest.mark.django_db


def _load_demo() -> None:
    """Load the demo's people, approvals, risks and rulebook, and let the board approve plan
    v1 (what README's tour has sato and suzuki do)."""
    from mamori.accounts import demo as accounts_demo
    from mamori.accounts.services import approvals
    from mamori.risk import demo as risk_demo
    from mamori.risk.models import SecurityPlan
    from mamori.rulebook import demo as rulebook_demo

    report = DemoReport()
    for loader in (
        accounts_demo.load,
        accounts_demo.load_approvals,
        risk_demo.load,
        rulebook_demo.load,
    ):
        loader(report)
    plan = SecurityPlan.objects.get()
    for member in ("sato", "suzuki"):
        approvals.decide(
            plan.approval_id,  # type: ignore[arg-type]
            User.objects.get(username=member),
            "approve",
            "取締役会で決議 / board resolution",
        )
    User.objects.update(password=make_password(PASSWORD))


@pytest.fixture
def demo() -> dict[str, User]:
    _load_demo()
    return {u.username: u for u in User.objects.all()}


def _badge(page: str, ident: str) -> int:
    found = re.search(rf'id="{ident}"[^>]*>[^<]*<span class="badge[^"]*">(\d+)</span>', page)
    assert found, f"no {ident} in the header"
    return int(found.group(1))


def test_tanaka_sees_his_review_items_signoff_actions_and_controls_in_japanese(demo) -> None:
    page = client_for(demo["tanaka"]).get("/tasks/").content.decode()
    assert "自分のタスク" in page
    for person in ("中村 陽菜", "小林 蓮", "高橋 健"):
        assert f"{person} の役割を確認する" in page
    assert "情報の安全管理計画 バージョン 1 の残留リスクを承認する" in page
    assert 'href="/risk/signoff/"' in page
    assert 'href="/rulebook/controls/DOC-GOV-07/"' in page
    assert "未見直し" in page  # a control never reviewed is overdue
    assert "R-02: Signing a transfer other than the one shown" in page  # his action, as typed
    assert "期限 2027-03-31" in page
    # overdue first: the never-reviewed controls come before the review items that are not due
    assert page.index("DOC-GOV-07") < page.index("中村 陽菜 の役割を確認する")


def test_my_tasks_in_english(demo) -> None:
    client = client_for(demo["tanaka"])
    page = client.post("/accounts/language/", {"language": "en", "next": "/tasks/"}, follow=True)
    page = page.content.decode()
    assert "My tasks" in page
    assert "Confirm the roles of 中村 陽菜" in page
    assert "Sign off your residual risks under security plan version 1" in page
    assert "never reviewed" in page
    assert "自分のタスク" not in page


def test_another_person_does_not_see_tanakas_tasks(demo) -> None:
    page = client_for(demo["nakamura"]).get("/tasks/").content.decode()
    assert "の役割を確認する" not in page
    assert "残留リスクを承認する" not in page
    assert "DOC-GOV-07" not in page
    assert "Signing a transfer" not in page
    assert "あなたを待っているものはありません。" in page
    assert _badge(page, "tasks-badge") == 0


def test_a_requester_is_not_asked_to_approve_their_own_request(demo) -> None:
    # tanaka asked for kobayashi's key-holder grant and the SRM 23-1 status: neither is his
    page = client_for(demo["tanaka"]).get("/tasks/").content.decode()
    assert "kobayashi に役割「秘密鍵管理者」を付与する" not in page
    takahashi = client_for(demo["takahashi"]).get("/tasks/").content.decode()
    assert "kobayashi に役割「秘密鍵管理者」を付与する" in takahashi


def test_the_header_counts_match_the_tasks_and_the_unread_notifications(demo) -> None:
    tanaka = demo["tanaka"]
    for n in range(2):
        notify(
            "test.note",
            "info",
            (f"お知らせ {n}", f"Note {n}"),
            levels=[[Recipient(username="tanaka")]],
        )
    client = client_for(tanaka)
    api = client.get("/api/tasks").json()
    counted = sum(len(g["items"]) for g in api["groups"] if g["kind"] != "unread")
    dashboard = client.get("/").content.decode()
    assert _badge(dashboard, "tasks-badge") == counted == api["count"]
    assert {g["kind"] for g in api["groups"]} >= {
        "access_reviews",
        "risk_signoff",
        "risk_actions",
        "controls",
        "unread",
    }
    reviews = next(g for g in api["groups"] if g["kind"] == "access_reviews")
    assert reviews["total"] == 3
    unread = Delivery.objects.filter(user=tanaka, channel="inapp", read_at=None).count()
    assert unread >= 2
    assert _badge(dashboard, "unread-badge") == unread == api["unread"]
    client.get("/notifications/")  # reading the inbox marks them read
    assert _badge(client.get("/").content.decode(), "unread-badge") == 0


def test_the_header_costs_one_count_query_per_kind(demo, django_assert_max_num_queries) -> None:
    from mamori.core.tasks import badge_count, kinds

    tanaka = demo["tanaka"]
    badge_count(tanaka)  # warm
    # approvals: the person's roles, the pending requests and their decisions; the others one
    with django_assert_max_num_queries(len(kinds()) + 3):
        assert badge_count(tanaka) > 0


def test_the_tasks_api_needs_its_scope(demo) -> None:
    from mamori.accounts.services import tokens

    tanaka = demo["tanaka"]
    with_scope = tokens.issue("inbox", ["tasks:read"], 1, tanaka).secret
    without = tokens.issue("other", ["search:read"], 1, tanaka).secret
    client = Client()
    answer = client.get("/api/tasks", headers={"authorization": f"Bearer {with_scope}"})
    assert answer.status_code == 200
    assert any(g["kind"] == "access_reviews" for g in answer.json()["groups"])
    refused = client.get("/api/tasks", headers={"authorization": f"Bearer {without}"})
    assert refused.status_code == 403


def _actions_due(user: User) -> int:
    from mamori.risk.models import TreatmentAction

    return TreatmentAction.objects.filter(owner=user, done=False).count()


def _three_days_before(day: datetime) -> datetime:
    return timezone.make_aware(datetime.combine(day - timedelta(days=3), time(8, 0)))


def test_the_reminder_job_tells_the_owner_once_per_due_date(demo) -> None:
    from mamori.notifications.reminders import send_reminders
    from mamori.risk.models import TreatmentAction

    tanaka = demo["tanaka"]
    due = TreatmentAction.objects.filter(owner=tanaka).first().due  # 2027-03-31
    assert send_reminders(now=_three_days_before(due) - timedelta(days=1)) == 0  # 4 days before
    first = send_reminders(now=_three_days_before(due))
    mine = Notification.objects.filter(topic="tasks.reminder", deliveries__user=tanaka)
    assert mine.count() == _actions_due(tanaka) == 3
    assert first >= 3
    assert send_reminders(now=_three_days_before(due)) == 0  # the job reruns the same day
    assert send_reminders(now=_three_days_before(due) + timedelta(days=1)) == 0  # and the next
    assert mine.count() == 3
    reminder = mine.order_by("pk").first()
    assert reminder.title_ja.startswith("期限が近づいています（2027-03-31）")
    assert reminder.title_en.startswith("Due on 2027-03-31: R-0")
    assert reminder.link.startswith("/risk/scenarios/")


def test_a_reminder_lost_in_a_crash_is_sent_once_at_the_next_run(demo, monkeypatch) -> None:
    from mamori.notifications import reminders
    from mamori.risk.models import TreatmentAction

    tanaka = demo["tanaka"]
    due = TreatmentAction.objects.filter(owner=tanaka).first().due
    real = reminders.notify
    calls = {"n": 0}

    def crash_on_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the process died")
        return real(*args, **kwargs)

    monkeypatch.setattr(reminders, "notify", crash_on_second)
    with pytest.raises(RuntimeError):
        reminders.send_reminders(now=_three_days_before(due))
    assert Reminder.objects.count() == 1  # the first was sent and recorded, the second neither
    monkeypatch.setattr(reminders, "notify", real)
    reminders.send_reminders(now=_three_days_before(due))
    reminders.send_reminders(now=_three_days_before(due))
    mine = Notification.objects.filter(topic="tasks.reminder", deliveries__user=tanaka)
    titles = list(mine.values_list("title_en", flat=True))
    assert len(titles) == len(set(titles)) == 3


def test_a_new_person_sees_an_empty_inbox(db) -> None:
    page = client_for(make_user("newcomer")).get("/tasks/").content.decode()
    assert "あなたを待っているものはありません。" in page
