"""Customer notices (SRM 10-6-3): approved by the incident's communications owner — never by
their author — published on the public status page and its Atom feed in Japanese and English,
with no staff names or internal detail; drafts never shown."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from mamori.accounts.models import User
from mamori.guard.models import Function, Notice
from mamori.guard.services import notices
from mamori.operations.models import Incident, TimelineEntry
from mamori.operations.services import incidents

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def _notice(author: User, incident: Incident | None, switch: dict[str, Function]) -> Notice:
    return notices.draft(
        kind="incident",
        title_ja="ログインの障害",
        title_en="Login trouble",
        body_ja="ログインしにくい状態です。",
        body_en="Signing in is difficult.",
        services=[(switch["login"], "outage")],
        by=author,
        incident=incident,
    )


def test_the_communications_owner_approves_and_nobody_else(
    english: None, crew: dict[str, User], attack: Incident, switch: dict[str, Function]
) -> None:
    incidents.assign_role(attack, "communications", crew["csirt2"], crew["ciso"])
    notice = notices.submit(_notice(crew["csirt"], attack, switch), crew["csirt"])
    assert [p.username for p in notices.approvers(notice)] == ["csirt-mori"]
    with pytest.raises(notices.NoticeRefused) as refused:
        notices.approve(notice, crew["ciso"])
    assert refused.value.code == "not_approver"
    assert "communications owner" in refused.value.message
    notices.approve(notice, crew["csirt2"])
    notice.refresh_from_db()
    assert notice.publication == "published" and notice.approved_by == crew["csirt2"]
    assert TimelineEntry.objects.filter(incident=attack, kind="notice").exists()


def test_the_author_never_approves_their_own_notice_or_update(
    english: None, crew: dict[str, User], attack: Incident, switch: dict[str, Function]
) -> None:
    incidents.assign_role(attack, "communications", crew["csirt"], crew["csirt"])
    notice = notices.submit(_notice(crew["csirt"], attack, switch), crew["csirt"])
    assert crew["csirt"] not in notices.approvers(notice)  # the officers approve instead
    with pytest.raises(notices.NoticeRefused) as refused:
        notices.approve(notice, crew["csirt"])
    assert refused.value.code == "self_approval"
    assert "cannot approve their own" in refused.value.message
    assert Notice.objects.get().publication == "pending"


def test_without_an_owner_the_ciso_or_system_general_manager_approves(
    crew: dict[str, User], switch: dict[str, Function]
) -> None:
    notice = notices.submit(_notice(crew["csirt"], None, switch), crew["csirt"])
    assert {p.username for p in notices.approvers(notice)} == {"ciso-kim", "sgm-sato"}
    with pytest.raises(notices.NoticeRefused):
        notices.approve(notice, crew["csirt2"])
    notices.approve(notice, crew["sgm"])
    update = notices.append_update(notice, "復旧しました。", "Resolved.", crew["csirt"], True)
    with pytest.raises(notices.NoticeRefused):
        notices.approve(update, crew["csirt"])
    notices.approve(update, crew["ciso"])
    notice.refresh_from_db()
    assert notice.resolved and notice.ends_at is not None
    assert list(notice.services.values_list("state", flat=True)) == ["operational"]


def test_the_status_page_shows_published_notices_in_both_languages_and_no_drafts(
    crew: dict[str, User], attack: Incident, switch: dict[str, Function]
) -> None:
    shown = notices.submit(_notice(crew["csirt"], attack, switch), crew["csirt"])
    notices.approve(shown, crew["ciso"])
    notices.draft(
        kind="maintenance",
        title_ja="下書きの保守",
        title_en="Draft maintenance",
        body_ja="x",
        body_en="x",
        services=[],
        by=crew["csirt"],
    )
    anonymous = Client()
    ja = anonymous.get("/status/?lang=ja")
    assert ja.status_code == 200 and ja["Content-Language"] == "ja"
    text = ja.content.decode()
    assert "ログインの障害" in text and "障害" in text and "下書き" not in text
    for internal in ("csirt-ito", "ciso-kim", attack.reference, "Credential stuffing"):
        assert internal not in text
    en = anonymous.get("/status/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Login trouble" in en and "Outage" in en and "Draft maintenance" not in en
    assert anonymous.get(f"/status/{shown.pk}/?lang=en").status_code == 200
    draft = Notice.objects.get(title_en="Draft maintenance")
    assert anonymous.get(f"/status/{draft.pk}/").status_code == 404


def test_the_atom_feed_parses_and_holds_only_published_notices(
    crew: dict[str, User], switch: dict[str, Function]
) -> None:
    shown = notices.submit(_notice(crew["csirt"], None, switch), crew["csirt"])
    notices.approve(shown, crew["ciso"])
    notices.approve(
        notices.append_update(shown, "復旧しました。", "Resolved now.", crew["csirt"], True),
        crew["ciso"],
    )
    _notice(crew["csirt"], None, switch)  # a draft
    answer = Client().get("/status/feed.atom?lang=en")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(answer.content)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Login trouble"]
    content = entries[0].findtext(f"{ATOM}content") or ""
    assert "Signing in is difficult." in content and "Resolved now." in content
    assert entries[0].find(f"{ATOM}link").get("href").endswith(f"/status/{shown.pk}/")
    ja = ET.fromstring(Client().get("/status/feed.atom?lang=ja").content)
    assert ja.findall(f"{ATOM}entry")[0].findtext(f"{ATOM}title") == "ログインの障害"


def test_writing_a_notice_on_the_pages_needs_guard_manage(
    crew: dict[str, User], switch: dict[str, Function]
) -> None:
    from tests.conftest import sign_in

    client = Client()
    sign_in(client, crew["csirt"])
    answer = client.post(
        "/guard/notices/new/",
        {
            "kind": "incident",
            "title_ja": "遅延",
            "title_en": "Delays",
            "body_ja": "遅延しています。",
            "body_en": "Delayed.",
            "services": [switch["trading"].pk],
            "state": "degraded",
        },
    )
    notice = Notice.objects.get()
    assert answer["Location"] == f"/guard/notices/{notice.pk}/"
    client.post(f"/guard/notices/{notice.pk}/submit/")
    approver = Client()
    sign_in(approver, crew["sgm"])
    approver.post(f"/guard/notices/{notice.pk}/approve/")
    assert Notice.objects.get().publication == "published"
    looker = Client()
    sign_in(looker, crew["operator"])
    assert looker.get("/guard/notices/new/").status_code == 403
    assert looker.get(f"/guard/notices/{notice.pk}/").status_code == 200


def test_the_demo_publishes_the_btc_notice_resolved_and_loads_the_switch_once() -> None:
    from mamori.core.demo import DemoReport
    from mamori.guard import demo
    from mamori.guard.models import BlockedSource
    from tests.conftest import give, make_user

    ito = give(make_user("ito"), "csirt_member")
    give(make_user("takahashi"), "ciso", "system_general_manager")
    report = DemoReport()
    demo.load(report)
    demo.load(report)
    assert Function.objects.count() == 5 and BlockedSource.objects.count() == 1
    drain = incidents.report("BTC drain", "BTC hot wallet", ito, kind="crypto_asset_leak")
    notice = demo.demo_notice(drain)
    assert notice is not None and demo.demo_notice(drain) == notice
    notice.refresh_from_db()
    assert notice.publication == "published" and notice.resolved
    assert notice.approved_by is not None and notice.approved_by.username == "takahashi"
    page = Client().get("/status/?lang=en").content.decode()
    assert "BTC withdrawals paused" in page and "Resolved" in page
    assert "No incident or maintenance is under way." in page


def test_the_public_pages_carry_the_security_headers_and_set_no_cookie() -> None:
    for url in ("/status/", "/status/feed.atom"):
        answer = Client().get(url)
        assert answer.status_code == 200
        csp = answer["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp
        assert answer["X-Content-Type-Options"] == "nosniff"
        assert not answer.cookies


def test_an_author_cannot_pick_the_approver_of_their_own_notice(
    crew: dict[str, User], attack: Incident, switch: dict[str, Function]
) -> None:
    officers = ["ciso-kim", "sgm-sato"]
    # appointed by the notice's author: the officers approve instead
    incidents.assign_role(attack, "communications", crew["csirt2"], crew["csirt"])
    notice = notices.submit(_notice(crew["csirt"], attack, switch), crew["csirt"])
    assert [p.username for p in notices.approvers(notice)] == officers
    # a communications owner without an approving role: the officers approve
    incidents.assign_role(attack, "communications", crew["operator"], crew["ciso"])
    assert [p.username for p in notices.approvers(notice)] == officers
    with pytest.raises(notices.NoticeRefused):
        notices.approve(notice, crew["operator"])
    # a maintenance notice always goes to the officers
    incidents.assign_role(attack, "communications", crew["csirt2"], crew["ciso"])
    maintenance = notices.draft(
        kind="maintenance",
        title_ja="全出金の停止",
        title_en="All withdrawals suspended",
        body_ja="点検のため停止します。",
        body_en="Paused for maintenance.",
        services=[(switch["login"], "maintenance")],
        by=crew["csirt"],
        incident=attack,
    )
    assert [p.username for p in notices.approvers(maintenance)] == officers
