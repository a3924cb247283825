"""Custody monitoring as a service: API, halts lifted by two people, notices, journal."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from mamori.accounts.services import approvals, tokens
from mamori.auditlog.models import Entry
from mamori.custody.models import Asset, Halt, HeldWithdrawal, MonitorRecord, ThresholdRule
from mamori.custody.services import monitor
from mamori.events.models import OutboxEvent
from mamori.notifications.models import Notification
from tests.conftest import client_for, give, make_user, monitored_btc
from tests.peers import smtp_server

pytestmark = pytest.mark.django_db
BTC = 10**8
ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


@pytest.fixture
def desk(db):
    """BTC with a responsible operator, three withdrawal thresholds, officers, a token."""
    monitor.reset()
    operator = give(make_user("op-watanabe"), "custody_operator")
    operator.email = "op@exchange.example"
    operator.save()
    monitored_btc(
        operator,
        [
            ("single", "single", "hold", 5 * BTC, None),
            ("customer", "customer", "notify", 8 * BTC, 3600),
            ("all", "all", "halt", 20 * BTC, 3600),
        ],
    )
    issued = tokens.issue("exchange", ["custody:check", "custody:report", "custody:read"], 30, None)
    yield {
        "api": Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}"),
        "operator": operator,
        "ciso": give(make_user("ciso-ono"), "ciso"),
        "sgm": give(make_user("sgm-abe"), "system_general_manager"),
    }
    monitor.reset()


def check(api: Client, request_id: str, amount: int, customer: str = "c1", **extra):
    body = {
        "request_id": request_id,
        "customer": customer,
        "asset": "BTC",
        "amount": str(amount),
        "address": ADDRESS,
    }
    body.update(extra)
    return api.post("/api/custody/withdrawals/check", body, content_type="application/json")


def test_allow_then_a_single_large_withdrawal_is_held_for_approval(desk) -> None:
    allowed = check(desk["api"], "r1", 1 * BTC)
    assert allowed.status_code == 200 and allowed.json()["action"] == "allow"
    held = check(desk["api"], "r2", 5 * BTC).json()
    assert held["action"] == "hold" and held["reasons"][0]["code"] == "threshold.hold"
    assert held["reasons"][0]["observed"] == str(5 * BTC)
    request = HeldWithdrawal.objects.get(event_id="r2").approval
    assert held["approval_request"] == request.pk and request.policy.code == "withdrawal_release"
    again = check(desk["api"], "r2", 5 * BTC).json()
    assert again == held  # idempotent: same decision, same approval
    assert not Notification.objects.filter(topic__startswith="custody.tampering").exists()
    conflict = check(desk["api"], "r2", 6 * BTC).json()
    assert conflict["action"] == "reject" and conflict["reasons"][0]["code"] == "duplicate_conflict"
    # refused and told at once as possible tampering, logged; the first decision stands
    (told,) = Notification.objects.filter(topic="custody.tampering.BTC")
    assert told.severity == "critical" and "r2" in told.title_en and told.requires_ack
    assert told.deliveries.filter(user=desk["operator"]).exists()  # BTC's responsible person
    check(desk["api"], "r2", 7 * BTC)  # another within minutes: logged, told once
    assert Notification.objects.filter(topic="custody.tampering.BTC").count() == 1
    logged = Entry.objects.filter(action="custody.duplicate_conflict", object_id="r2")
    assert logged.count() == 2
    assert check(desk["api"], "r2", 5 * BTC).json() == held


def test_the_all_customers_limit_halts_at_the_first_breach_and_tells_people_at_once(
    desk, settings, django_capture_on_commit_callbacks
) -> None:
    with smtp_server() as (port, mailbox):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        with django_capture_on_commit_callbacks(execute=True):
            for i in range(4):
                assert (
                    check(desk["api"], f"d{i}", 4 * BTC, customer=f"x{i}").json()["action"]
                    == "allow"
                )
            breach = check(desk["api"], "d4", 4 * BTC, customer="x4").json()
    assert breach["action"] == "halt"
    (halt,) = breach["halts"]
    assert (halt["scope"], halt["key"], halt["rule"], halt["event"]) == (
        "asset",
        "BTC",
        "all",
        "d4",
    )
    notice = Notification.objects.get(topic="custody.halt")
    assert notice.severity == "critical" and notice.requires_ack
    assert any("op@exchange.example" in m["To"] for m in mailbox.messages)
    assert OutboxEvent.objects.filter(subject="mamori.custody.halt_started").exists()
    refused = check(desk["api"], "d5", 1, customer="x5").json()
    assert refused["action"] == "reject" and refused["reasons"][0]["code"] == "halted"
    listed = desk["api"].get("/api/custody/halts").json()
    assert [h["id"] for h in listed] == [halt["id"]]


def test_lifting_a_halt_needs_two_distinct_authorised_people(desk) -> None:
    for i in range(5):
        check(desk["api"], f"d{i}", 4 * BTC, customer=f"x{i}")
    halt = Halt.objects.get()
    client = client_for(desk["operator"])
    client.post(f"/custody/halts/{halt.pk}/lift/", {"reason": "cause found and fixed"})
    halt.refresh_from_db()
    request = halt.lift_request
    assert request is not None and request.policy.code == "halt_lift"
    with pytest.raises(approvals.ApprovalRefused):
        approvals.decide(request.pk, desk["operator"], "approve", "mine")  # the requester
    approvals.decide(request.pk, desk["ciso"], "approve", "cause found")
    assert check(desk["api"], "after-1", 1, customer="y").json()["action"] == "reject"
    approvals.decide(request.pk, desk["sgm"], "approve", "agreed")
    halt.refresh_from_db()
    assert halt.lifted_at is not None
    assert MonitorRecord.objects.filter(kind="lift", event_id=f"lift:{halt.halt_id}").exists()
    assert check(desk["api"], "after-2", 1, customer="y").json()["action"] != "reject"
    # the halt, its alert and its lift are in the audit log, each with who did it
    logged = Entry.objects.filter(object_type="custody.halt", object_id=str(halt.pk))
    steps = [(e.action, e.actor) for e in logged.order_by("position")]
    assert steps[0][0] == "create" and steps[0][1].startswith("token:")  # by the check
    assert ("update", "user:op-watanabe") in steps  # the lift asked for
    assert len(steps) == 3  # and the lift itself
    alert = Notification.objects.get(topic="custody.halt")
    assert Entry.objects.filter(
        object_type="notifications.notification", object_id=str(alert.pk), action="create"
    ).exists()


def test_a_restarted_process_rebuilds_the_same_state_from_the_journal(desk) -> None:
    for i in range(3):
        check(desk["api"], f"d{i}", 3 * BTC, customer="same")
    before = monitor.current().window_total("customer", "same", timezone.now())
    monitor.reset()  # as after a restart
    assert monitor.current().window_total("customer", "same", timezone.now()) == before == 9 * BTC
    resent = check(desk["api"], "d2", 3 * BTC, customer="same").json()
    assert resent["reasons"][0]["code"] == "threshold.notify"  # its first decision, rebuilt
    assert MonitorRecord.objects.filter(kind="event").count() == 3


def test_two_processes_see_each_others_decisions(desk, monkeypatch) -> None:
    check(desk["api"], "p1", 4 * BTC, customer="shared")
    other = monitor._Held()
    monkeypatch.setattr(monitor, "_HELD", other)  # a second process with its own memory
    second = check(desk["api"], "p2", 4 * BTC, customer="shared").json()
    assert second["reasons"] and second["reasons"][0]["code"] == "threshold.notify"


def test_a_rolled_back_decision_is_forgotten(desk) -> None:
    from mamori.engines import threshold as engine

    with pytest.raises(RuntimeError), transaction.atomic():
        monitor.decide(
            engine.WithdrawalRequest("rb", timezone.now(), "c", "BTC", 4 * BTC), timezone.now()
        )
        raise RuntimeError("the request failed after deciding")
    assert not MonitorRecord.objects.filter(event_id="rb").exists()
    again = monitor.decide(
        engine.WithdrawalRequest("rb", timezone.now(), "c", "BTC", 1), timezone.now()
    )
    assert again.action == "allow"  # decided afresh, not the rolled-back first decision


def test_a_decision_rolled_back_to_a_savepoint_is_forgotten_in_the_same_transaction(desk) -> None:
    from mamori.engines import threshold as engine

    now = timezone.now()
    with transaction.atomic():
        monitor.decide(engine.WithdrawalRequest("s1", now, "same", "BTC", 4 * BTC), now)
        with pytest.raises(RuntimeError), transaction.atomic():
            monitor.decide(engine.WithdrawalRequest("s2", now, "same", "BTC", 4 * BTC), now)
            raise RuntimeError("the request failed after deciding")
        third = monitor.decide(engine.WithdrawalRequest("s3", now, "same", "BTC", BTC), now)
    # s1 + s3 = 5 BTC, under the customer's 8 BTC notice; with s2 still counted it would be 9
    assert third.reasons == ()
    assert not monitor.current().knows("s2")
    assert [r.event_id for r in MonitorRecord.objects.filter(kind="event")] == ["s1", "s3"]


def test_a_rolled_back_record_s_number_reused_by_another_process_is_not_taken_for_ours(
    desk, monkeypatch
) -> None:
    from mamori.engines import threshold as engine

    now = timezone.now()
    with pytest.raises(RuntimeError), transaction.atomic():
        monitor.decide(engine.WithdrawalRequest("ours", now, "same", "BTC", BTC), now)
        raise RuntimeError("the request failed after deciding")
    ours = monitor._HELD
    monkeypatch.setattr(monitor, "_HELD", monitor._Held())  # another process, its own memory
    monitor.decide(engine.WithdrawalRequest("theirs", now, "same", "BTC", 4 * BTC), now)
    # (on SQLite "theirs" gets the number the rolled-back record had)
    monkeypatch.setattr(monitor, "_HELD", ours)
    third = monitor.decide(engine.WithdrawalRequest("third", now, "same", "BTC", 4 * BTC), now)
    # theirs + third = 8 BTC, the customer's notice; "ours" (1 BTC) was never committed
    assert third.codes == ("threshold.notify",)
    assert not monitor.current().knows("ours")


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        ({"amount": "1.5"}, 422, "最小単位（BTCはsatoshi"),  # more decimals than base units
        ({"amount": "-3"}, 422, "小数・符号・指数は使えません"),
        ({"amount": "1e8"}, 422, "小数・符号・指数は使えません"),
        ({"at": "2026-11-22T09:00:00"}, 422, "タイムゾーンが必要"),
        ({"asset": "DOGE"}, 200, "unknown_asset"),
        ({"amount": "0"}, 200, "bad_amount"),
    ],
)
def test_bad_input_is_refused_with_a_clear_reason(desk, body, status, text) -> None:
    base = {
        "request_id": "bad",
        "customer": "c1",
        "asset": "BTC",
        "amount": "1",
        "address": ADDRESS,
    }
    base.update(body)
    response = desk["api"].post(
        "/api/custody/withdrawals/check", base, content_type="application/json"
    )
    assert response.status_code == status and text in json.dumps(
        response.json(), ensure_ascii=False
    )
    assert not MonitorRecord.objects.filter(event_id="bad", action="allow").exists()


def test_a_token_without_the_scope_is_refused(desk) -> None:
    issued = tokens.issue("reader", ["custody:read"], 30, None)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    response = check(api, "x", 1)
    assert response.status_code == 403 and "custody:check" in response.json()["message"]


def test_prices_and_deposits_are_reported_as_events(desk) -> None:
    at = timezone.now().isoformat()
    api = desk["api"]
    price = api.post(
        "/api/custody/events",
        {"type": "price", "id": "px", "at": at, "asset": "BTC", "jpy": "15000000"},
        content_type="application/json",
    )
    assert price.json()["action"] == "allow"
    assert monitor.current().prices["BTC"] == Decimal("15000000")
    bad = api.post(
        "/api/custody/events",
        {"type": "deposit", "id": "dx", "at": at, "asset": "BTC"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "'customer' is required" in bad.json()["message"]


def test_the_page_shows_halts_and_the_compliance_check_passes(desk) -> None:
    from mamori.rulebook.models import Control
    from mamori.rulebook.services.controls import run_control

    for i in range(5):
        check(desk["api"], f"d{i}", 4 * BTC, customer=f"x{i}")
    page = client_for(desk["ciso"]).get("/custody/").content.decode()
    assert "BTC の全顧客の出金" in page and "d4" in page  # what the halt stops, in words
    assert "上限 20 BTC" in page.split('id="charts"')[1]  # outflow against the limit, drawn
    assert client_for(make_user("outsider")).get("/custody/").status_code == 403
    run = run_control(Control.objects.get(code="CUS-01"))
    assert run.outcome == "pass", run.summary_en
    assert timezone.now() - timedelta(minutes=1) < run.started_at


def test_the_page_lists_alerts_and_their_recipient_acknowledges_one_there(
    desk, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(5):
            check(desk["api"], f"d{i}", 4 * BTC, customer=f"x{i}")
    notice = Notification.objects.get(topic="custody.halt")
    button = f'action="/notifications/{notice.pk}/acknowledge/"'
    alerts = client_for(desk["ciso"]).get("/custody/").content.decode().split('id="alerts"')[1]
    assert notice.title_ja in alerts.split("</section>")[0]
    assert button not in alerts  # the CISO is not told before the escalation: no button
    operator = client_for(desk["operator"])
    assert button in operator.get("/custody/").content.decode()
    elsewhere = operator.post(
        f"/notifications/{notice.pk}/acknowledge/", {"next": "https://evil.example/"}
    )
    assert elsewhere.url == f"/notifications/{notice.pk}/"  # another site is not followed
    back = operator.post(f"/notifications/{notice.pk}/acknowledge/", {"next": "/custody/#alerts"})
    assert back.url == "/custody/#alerts"
    notice.refresh_from_db()
    assert notice.acknowledged_by == desk["operator"]
    page = operator.get("/custody/").content.decode().split('id="alerts"')[1]
    assert button not in page and "op-watanabe" in page.split("</section>")[0]


def test_a_hot_balance_over_the_cap_is_told_with_the_amount_to_sweep(
    desk, django_capture_on_commit_callbacks
) -> None:
    from mamori.custody.models import CapPolicy, Wallet
    from mamori.rulebook.models import Control
    from mamori.rulebook.services.controls import run_control

    btc = Asset.objects.get(code="BTC")
    CapPolicy.objects.create(asset=btc, expected_units=10 * BTC, k=Decimal("1.5"))
    Wallet.objects.create(name="btc-hot", kind="hot", asset=btc, address="bc1qhot")
    Wallet.objects.create(name="btc-cold", kind="cold", asset=btc, address="bc1qcold")
    api, at = desk["api"], timezone.now().isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            "/api/custody/events",
            {"type": "price", "id": "px", "at": at, "asset": "BTC", "jpy": "15000000"},
            content_type="application/json",
        )
        for n, (wallet, units) in enumerate((("btc-cold", 30 * BTC), ("btc-hot", 16 * BTC))):
            api.post(
                "/api/custody/events",
                {
                    "type": "balance",
                    "id": f"b{n}",
                    "at": at,
                    "wallet": wallet,
                    "asset": "BTC",
                    "amount": str(units),
                },
                content_type="application/json",
            )
    notice = Notification.objects.get(topic="custody.cap.BTC.over")
    # amounts in whole coins, never base units (issue 25): 16 BTC hot, cap 15 BTC
    over = "hot balance 16 BTC is over the cap 15 BTC: sweep 1 BTC (≈ ¥15,000,000) to cold"
    assert over in notice.body_en
    assert "1 BTC (≈ ¥15,000,000) をコールドへ移動" in notice.body_ja
    assert str(16 * BTC) not in notice.body_en + notice.body_ja
    page = client_for(desk["ciso"]).get("/custody/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    caps = page.split('id="caps"')[1].split("</section>")[0]
    assert f'title="{16 * BTC} base units">16 BTC</span>' in caps
    assert "≈ ¥240,000,000" in caps  # 16 BTC at ¥15,000,000
    assert (
        "sweep <span" in caps and ">1 BTC</span>" in caps and "¥15,000,000</small> to cold" in caps
    )
    assert str(16 * BTC) not in re.sub(r'title="[^"]*"', "", caps)
    rules = page.split('id="caps"')[1]
    assert ">5 BTC</span>" in rules  # the single-instruction threshold of 5 BTC
    assert run_control(Control.objects.get(code="CUS-02")).outcome == "fail"
    assert run_control(Control.objects.get(code="CUS-03")).outcome == "fail"  # cold 65 %


def test_replaying_a_file_is_all_or_nothing_and_reports_every_bad_line(desk, tmp_path) -> None:
    import json as _json

    from django.core.management import CommandError, call_command

    at = timezone.now().isoformat()
    good = [
        {
            "type": "withdrawal",
            "id": f"f{i}",
            "at": at,
            "customer": "c",
            "asset": "BTC",
            "amount": str(2 * BTC),
        }
        for i in range(4)
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        "\n".join(
            [
                _json.dumps(good[0]),
                _json.dumps({**good[1], "amount": "1.5"}),
                _json.dumps({**good[2], "at": "yesterday"}),
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as refused:
        call_command("custody", "replay", str(bad))
    assert "bad.jsonl:2: 'amount' must be digits only" in str(refused.value)
    assert "bad.jsonl:3: 'at' is not an ISO 8601 time" in str(refused.value)
    assert not MonitorRecord.objects.filter(kind="event").exists()
    ok = tmp_path / "ok.jsonl"
    ok.write_text("\n".join(_json.dumps(e) for e in good), encoding="utf-8")
    from io import StringIO

    out = StringIO()
    call_command("custody", "replay", str(ok), stdout=out)
    assert "4 events: allow 4" in out.getvalue()
    assert "threshold.notify" in out.getvalue()  # 8 BTC for one customer in the hour


NATS_URL = __import__("os").environ.get("MAMORI_TEST_NATS_URL", "nats://127.0.0.1:4222")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_jetstream_consumer_decides_each_event_once() -> None:
    import uuid

    from mamori.events import bus
    from mamori.events.nats import NatsBus
    from mamori.testing.pytest_plugin import need_service

    need_service("NATS", NATS_URL)
    monitor.reset()
    btc = Asset.objects.create(code="BTC", name="Bitcoin", chain="bitcoin", decimals=8)
    ThresholdRule.objects.create(
        code="single",
        direction="withdrawal",
        scope="single",
        level="hold",
        asset=btc,
        limit_units=5 * BTC,
    )
    monitor.apply_thresholds()
    tag = uuid.uuid4().hex[:8]
    real = NatsBus(NATS_URL, stream=f"MAMORI_T{tag}", prefix=f"t{tag}")
    real.ensure_stream()
    try:
        at = timezone.now().isoformat()
        for n, units in enumerate((1 * BTC, 6 * BTC)):
            data = {
                "type": "withdrawal",
                "id": f"n{n}",
                "at": at,
                "customer": "c",
                "asset": "BTC",
                "amount": str(units),
            }
            event = bus.Event("mamori.custody.in.withdrawal", f"bus-{n}", data, timezone.now())
            real.deliver(event)
            real.deliver(event)  # a producer retry: JetStream keeps one
        real.deliver(
            bus.Event("mamori.custody.in.deposit", "bus-bad", {"type": "deposit"}, timezone.now())
        )
        handled = real.consume(20, 2.0)
        assert handled == 3
        assert dict(
            MonitorRecord.objects.filter(kind="event").values_list("event_id", "action")
        ) == {
            "n0": "allow",
            "n1": "hold",
        }
        assert real.consume(20, 0.5) == 0  # acknowledged: nothing comes back
    finally:
        real.delete_stream()
        monitor.reset()


def test_a_new_address_needs_approval_and_a_cool_down_and_a_bad_one_is_refused(desk) -> None:
    btc = Asset.objects.get(code="BTC")
    btc.unknown_address = "hold"
    btc.save()
    api = desk["api"]
    unknown = check(api, "a1", 1 * BTC).json()
    assert unknown["action"] == "hold" and "unknown_address" in [
        r["code"] for r in unknown["reasons"]
    ]
    malformed = check(api, "a2", 1 * BTC, address="0xnot-bitcoin").json()
    assert (
        malformed["action"] == "reject" and malformed["reasons"][0]["code"] == "malformed_address"
    )
    registered = api.post(
        "/api/custody/addresses",
        {"customer": "c1", "asset": "BTC", "address": ADDRESS, "label": "my wallet"},
        content_type="application/json",
    )
    assert registered.status_code == 201 and registered.json()["status"] == "pending"
    approvals.decide(registered.json()["approval_request"], desk["ciso"], "approve", "KYC ok")
    cooling = check(api, "a3", 1 * BTC).json()
    assert "cooling_down" in [r["code"] for r in cooling["reasons"]]
    import time_machine

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        usable = check(api, "a4", 1 * BTC).json()
    assert usable["action"] == "allow", usable
    btc.unknown_address = "reject"
    btc.save()
    refused = check(api, "a5", 1 * BTC, customer="c9").json()
    assert refused["action"] == "reject" and refused["reasons"][0]["code"] == "unknown_address"


def test_the_exchange_moves_funds_only_to_its_registered_wallets(desk) -> None:
    from mamori.custody.models import Wallet

    Wallet.objects.create(
        name="btc-cold", kind="cold", asset=Asset.objects.get(code="BTC"), address=ADDRESS
    )
    api = desk["api"]
    ok = api.post(
        "/api/custody/moves/check",
        {"asset": "BTC", "to_address": ADDRESS},
        content_type="application/json",
    ).json()
    assert ok["action"] == "allow"
    stray = api.post(
        "/api/custody/moves/check",
        {"asset": "BTC", "to_address": "bc1qsomeoneelse0000000000"},
        content_type="application/json",
    ).json()
    assert stray["action"] == "reject" and stray["reasons"][0]["code"] == "unregistered_wallet"


def test_a_threshold_added_on_the_page_waits_for_two_approvals_and_a_bad_set_is_not_asked(
    desk,
) -> None:
    from mamori.accounts.models import ApprovalRequest

    client = client_for(desk["ciso"])
    btc = Asset.objects.get(code="BTC")
    form = client.get("/custody/thresholds/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A halt of trading in the asset's markets stops no withdrawal" in form
    added = client.post(
        "/custody/thresholds/",
        {
            "code": "cust-hold",
            "direction": "withdrawal",
            "scope": "customer",
            "level": "hold",
            "asset": btc.pk,
            "limit_units": str(9 * BTC),
            "window_seconds": "3600",
        },
    )
    assert added.status_code == 302
    assert "cust-hold" not in [r.code for r in monitor.current().config.rules]
    request = ApprovalRequest.objects.get(kind="custody.threshold_create")
    approvals.decide(request.pk, desk["sgm"], "approve", "agreed")
    assert not ThresholdRule.objects.filter(code="cust-hold").exists()
    approvals.decide(request.pk, give(make_user("ciso-two"), "ciso"), "approve", "agreed")
    assert "cust-hold" in [r.code for r in monitor.current().config.rules]
    # a halt level below the notify level of the same measure is refused, nothing saved
    refused = client.post(
        "/custody/thresholds/",
        {
            "code": "cust-halt-low",
            "direction": "withdrawal",
            "scope": "customer",
            "level": "halt",
            "asset": btc.pk,
            "limit_units": str(2 * BTC),
            "window_seconds": "3600",
        },
        follow=True,
    )
    assert "must not come before" in refused.content.decode()
    assert not ThresholdRule.objects.filter(code="cust-halt-low").exists()
    assert ApprovalRequest.objects.filter(kind="custody.threshold_create").count() == 1
    both = client.post(
        "/custody/thresholds/",
        {
            "code": "x",
            "direction": "withdrawal",
            "scope": "single",
            "level": "hold",
            "asset": btc.pk,
            "limit_units": "5",
            "limit_jpy": "5",
        },
    )
    assert "基本単位か円のどちらか一方" in both.content.decode()  # said in the UI language
    assert client_for(make_user("viewer")).get("/custody/thresholds/").status_code == 403


def test_each_wallet_s_sends_are_charted_against_the_asset_s_limit(desk) -> None:
    from mamori.custody.models import Wallet
    from mamori.custody.services import charts

    btc = Asset.objects.get(code="BTC")
    for name in ("btc-hot-1", "btc-hot-2"):
        Wallet.objects.create(name=name, kind="hot", asset=btc, address=ADDRESS)
    api = desk["api"]
    for i, (amount, wallet) in enumerate(((3, "btc-hot-1"), (4, "btc-hot-2"), (2, "btc-hot-1"))):
        assert check(api, f"w{i}", amount * BTC, customer=f"c{i}").json()["action"] == "allow"
        sent = {
            "type": "withdrawal_sent",
            "id": f"s{i}",
            "at": timezone.now().isoformat(),
            "withdrawal": f"w{i}",
            "wallet": wallet,
        }
        assert api.post("/api/custody/events", sent, "application/json").json()["action"] == "allow"
    drawn = {(c.asset, c.wallet): c.peak for c in charts.outflow_charts()}
    assert drawn == {
        ("BTC", ""): 9 * BTC,
        ("BTC", "btc-hot-1"): 5 * BTC,
        ("BTC", "btc-hot-2"): 4 * BTC,
    }
    page = client_for(desk["ciso"]).get("/custody/").content.decode()
    assert page.count('class="chart wallet-chart"') == 2
    # a restart rebuilds the same per-wallet figures from the journal
    monitor.reset()
    assert {(c.asset, c.wallet): c.peak for c in charts.outflow_charts()} == drawn


def test_an_unknown_wallet_or_one_of_another_asset_is_refused(desk, tmp_path) -> None:
    from mamori.custody.models import Wallet

    eth = Asset.objects.create(code="ETH", name="Ether", chain="ethereum", decimals=18)
    Wallet.objects.create(
        name="eth-hot", kind="hot", asset=eth, address="0xE525C64BBF07965CB68bFFA6454493123dCE358F"
    )
    at = timezone.now().isoformat()
    api = desk["api"]
    for wallet, message in (("ghost", "unknown wallet 'ghost'"), ("eth-hot", "holds ETH, not BTC")):
        body = {
            "type": "balance",
            "id": f"b-{wallet}",
            "at": at,
            "wallet": wallet,
            "asset": "BTC",
            "amount": "5",
        }
        refused = api.post("/api/custody/events", body, "application/json")
        assert refused.status_code == 422 and message in refused.json()["message"]
    assert not MonitorRecord.objects.filter(event_id__startswith="b-").exists()
    import json as _json

    from django.core.management import CommandError, call_command

    ghost = {
        "type": "balance",
        "id": "b-file",
        "at": at,
        "wallet": "ghost",
        "asset": "BTC",
        "amount": "5",
    }
    lines = tmp_path / "events.jsonl"
    lines.write_text(_json.dumps(ghost), encoding="utf-8")
    with pytest.raises(CommandError, match="unknown wallet 'ghost'"):
        call_command("custody", "replay", str(lines))


def test_a_rule_can_halt_trading_in_the_asset_s_markets_and_the_gateway_reads_it(desk) -> None:
    btc = Asset.objects.get(code="BTC")
    ThresholdRule.objects.create(
        code="all-market",
        direction="withdrawal",
        scope="all",
        level="halt",
        asset=btc,
        limit_units=6 * BTC,
        window_seconds=3600,
        halt_scope="market",
    )
    monitor.apply_thresholds()
    api = desk["api"]
    assert api.get("/api/custody/trading?market=btc/jpy").json()["trading"] == "open"
    assert check(api, "m1", 4 * BTC, customer="a").json()["action"] == "allow"
    second = check(api, "m2", 3 * BTC, customer="b").json()
    assert second["action"] == "halt" and second["halts"][0]["scope"] == "market"
    status = api.get("/api/custody/trading?market=BTC/JPY").json()
    assert status["trading"] == "halted" and status["halts"][0]["rule"] == "all-market"
    assert api.get("/api/custody/trading?market=ETH/JPY").json()["trading"] == "open"
    # a market halt stops trading, not withdrawals
    assert check(api, "m3", 1 * BTC, customer="c").json()["action"] == "allow"
    bad = api.get("/api/custody/trading?market=BTCJPY")
    assert bad.status_code == 422 and "BASE/QUOTE" in bad.json()["message"]
    page = client_for(desk["ciso"]).get("/custody/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "trading in the asset&#x27;s markets" in page


def test_the_cap_check_fails_for_an_asset_with_a_hot_wallet_but_no_policy_or_balance(
    desk, django_capture_on_commit_callbacks
) -> None:
    """ISM 27-1-1 asks a cap of every hot wallet: one asset within its cap does not make the
    check pass while another has no policy or a hot wallet never reported (review finding)."""
    from mamori.custody.compliance import hot_wallets_within_cap
    from mamori.custody.models import CapPolicy, Wallet

    btc = Asset.objects.get(code="BTC")
    CapPolicy.objects.create(asset=btc, expected_units=10 * BTC, k=Decimal("2"))
    Wallet.objects.create(name="btc-hot", kind="hot", asset=btc, address="bc1qhot")
    Wallet.objects.create(name="btc-hot-2", kind="hot", asset=btc, address="bc1qhot2")
    with django_capture_on_commit_callbacks(execute=True):
        desk["api"].post(
            "/api/custody/events",
            {"type": "balance", "id": "b0", "at": timezone.now().isoformat(),
             "wallet": "btc-hot", "asset": "BTC", "amount": str(1 * BTC)},
            content_type="application/json",
        )  # fmt: skip
    result = hot_wallets_within_cap()
    assert not result.passed and "no balance reported for btc-hot-2" in result.summary_en
    eth = Asset.objects.create(code="ETH", name="Ether", chain="ethereum", decimals=18)
    Wallet.objects.create(name="eth-hot", kind="hot", asset=eth, address="0x" + "1" * 40)
    result = hot_wallets_within_cap()
    assert "ETH: no cap policy" in result.summary_en


def test_a_threshold_notice_and_the_decisions_show_whole_coins(
    desk, django_capture_on_commit_callbacks
) -> None:
    """Issue 25: the responsible person reads "8 BTC reached the limit 8 BTC", not base
    units, in the notice and on the page."""
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(2):
            check(desk["api"], f"n{i}", 4 * BTC, customer="c9")
    notice = Notification.objects.get(topic="custody.threshold.customer")
    assert "8 BTC reached the limit 8 BTC" in notice.body_en, notice.body_en
    assert "8 BTC が基準値 8 BTC に達しました" in notice.body_ja, notice.body_ja
    assert str(8 * BTC) not in notice.body_en + notice.body_ja
    page = client_for(desk["ciso"]).get("/custody/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "8 BTC reached the limit 8 BTC" in page
