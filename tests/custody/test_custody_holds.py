"""Issue 30: held withdrawals end released or refused, late deposits are counted, halts stop
what breached, limits are explained where they are set."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mamori.accounts.models import ApprovalRequest
from mamori.accounts.services import approvals, tokens
from mamori.custody.models import Asset, Halt, HeldWithdrawal, MonitorRecord, ThresholdRule
from mamori.custody.services import monitor
from mamori.events.models import OutboxEvent
from mamori.notifications.models import Notification
from tests.conftest import client_for, give, make_user, monitored_btc

pytestmark = pytest.mark.django_db
BTC = 10**8
ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


@pytest.fixture
def desk(db):
    """BTC held per customer at 5 BTC an hour, halted at 10 BTC in one instruction."""
    monitor.reset()
    operator = give(make_user("op-kato"), "custody_operator")
    monitored_btc(
        operator,
        [
            ("cust-hold", "customer", "hold", 5 * BTC, 3600),
            ("single-halt", "single", "halt", 10 * BTC, None),
        ],
    )
    issued = tokens.issue("exchange", ["custody:check", "custody:report", "custody:read"], 30, None)
    yield {
        "api": Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}"),
        "operator": operator,
        "ciso": give(make_user("ciso-mori"), "ciso"),
        "sgm": give(make_user("sgm-ueda"), "system_general_manager"),
    }
    monitor.reset()


def check(api: Client, request_id: str, amount: int, customer: str = "c1"):
    body = {
        "request_id": request_id,
        "customer": customer,
        "asset": "BTC",
        "amount": str(amount),
        "address": ADDRESS,
    }
    return api.post("/api/custody/withdrawals/check", body, content_type="application/json").json()


def report(api: Client, **event):
    return api.post("/api/custody/events", event, content_type="application/json")


def decide_release(desk, request_id: str, verdict: str, capture) -> ApprovalRequest:
    approval = HeldWithdrawal.objects.get(event_id=request_id).approval
    with capture(execute=True):
        approvals.decide(approval.pk, desk["ciso"], verdict, "called the customer")
        if verdict == "approve":
            approvals.decide(approval.pk, desk["sgm"], verdict, "agreed")
    return approval


def test_an_approved_release_lets_the_held_withdrawal_proceed_and_the_exchange_reads_it(
    desk, django_capture_on_commit_callbacks
) -> None:
    held = check(desk["api"], "h1", 5 * BTC)
    assert held["action"] == "hold"
    waiting = desk["api"].get("/api/custody/withdrawals/h1").json()
    assert waiting["hold"] == "waiting" and waiting["action"] == "hold"
    decide_release(desk, "h1", "approve", django_capture_on_commit_callbacks)
    # the same check sent again, and the poll, now say it may be sent
    again = check(desk["api"], "h1", 5 * BTC)
    assert again["action"] == "allow" and again["reasons"][-1]["code"] == "hold_released"
    polled = desk["api"].get("/api/custody/withdrawals/h1").json()
    assert polled["hold"] == "released" and polled["action"] == "allow"
    assert MonitorRecord.objects.filter(event_id="mamori:release:h1").exists()
    told = OutboxEvent.objects.get(subject="mamori.custody.withdrawal_released")
    assert told.payload["request_id"] == "h1" and told.payload["outcome"] == "released"
    assert Notification.objects.filter(topic="custody.withdrawal.released").exists()
    # released, it stays counted: the customer's next withdrawal is held too
    assert check(desk["api"], "h2", 1)["action"] == "hold"
    assert desk["api"].get("/api/custody/withdrawals/nope").status_code == 404


def test_a_rejected_release_refuses_the_withdrawal_frees_its_amount_and_tells_the_customer(
    desk, django_capture_on_commit_callbacks
) -> None:
    assert check(desk["api"], "h1", 5 * BTC)["action"] == "hold"
    decide_release(desk, "h1", "reject", django_capture_on_commit_callbacks)
    held = HeldWithdrawal.objects.get(event_id="h1")
    assert held.outcome == "refused" and held.outcome_at is not None
    assert monitor.current().window_total("cust-hold", "c1", timezone.now()) == 0
    assert check(desk["api"], "h2", 4 * BTC)["action"] == "allow"  # 4 BTC: not held any more
    again = check(desk["api"], "h1", 5 * BTC)
    assert again["action"] == "reject" and again["reasons"][-1]["code"] == "hold_refused"
    told = OutboxEvent.objects.get(subject="mamori.custody.withdrawal_refused")
    assert told.payload["customer"] == "c1" and told.payload["reason"] == "called the customer"
    notice = Notification.objects.get(topic="custody.withdrawal.refused")
    assert "顧客への通知" in notice.body_ja and "Tell the customer" in notice.body_en
    # the exchange cancelling it afterwards is told it is already refused
    cancel = report(desk["api"], type="withdrawal_cancelled", id="x1", at=_now(), withdrawal="h1")
    assert cancel.json()["reasons"][0]["code"] == "not_cancellable"


def test_holds_released_and_refused_replay_identically_after_a_restart(
    desk, django_capture_on_commit_callbacks
) -> None:
    check(desk["api"], "h1", 5 * BTC, customer="a")
    check(desk["api"], "h2", 5 * BTC, customer="b")
    decide_release(desk, "h1", "approve", django_capture_on_commit_callbacks)
    decide_release(desk, "h2", "reject", django_capture_on_commit_callbacks)
    now = timezone.now()
    before = monitor.current()
    states = [before.withdrawal_state(w) for w in ("h1", "h2")]
    totals = [before.window_total("cust-hold", c, now) for c in ("a", "b")]
    monitor.reset()  # as after a restart: rebuilt from the journal
    after = monitor.current()
    assert [after.withdrawal_state(w) for w in ("h1", "h2")] == states == ["released", "refused"]
    assert [after.window_total("cust-hold", c, now) for c in ("a", "b")] == totals == [5 * BTC, 0]
    assert check(desk["api"], "h3", 1, customer="a")["action"] == "hold"
    assert check(desk["api"], "h4", 1, customer="b")["action"] == "allow"


def _now(delta: timedelta = timedelta(0)) -> str:
    return (timezone.now() + delta).isoformat()


def test_a_deposit_reported_hours_after_its_chain_time_is_counted_where_it_belongs(desk) -> None:
    btc = Asset.objects.get(code="BTC")
    ThresholdRule.objects.create(
        code="dep-hold",
        direction="deposit",
        scope="customer",
        level="hold",
        asset=btc,
        limit_units=3 * BTC,
        window_seconds=3600,
    )
    monitor.apply_thresholds()
    api = desk["api"]
    fresh = report(api, type="deposit", id="d1", at=_now(), customer="c", asset="BTC", amount="1")
    assert fresh.json()["action"] == "allow"
    # mined 20 hours ago, confirmed now: within the 24-hour delay, counted at its chain time
    mined = _now(-timedelta(hours=20))
    body = {"type": "deposit", "customer": "c", "asset": "BTC", "amount": str(2 * BTC)}
    assert report(api, id="d2", at=mined, **body).json()["action"] == "allow"
    assert report(api, id="d3", at=mined, **body).json()["action"] == "hold"  # 4 BTC then
    # beyond the delay it is refused, and the id is not spent: resent with its corrected time
    stale = report(api, id="d4", at=_now(-timedelta(hours=25)), **body).json()
    assert stale["action"] == "reject" and stale["reasons"][0]["code"] == "late"
    assert not MonitorRecord.objects.filter(event_id="d4").exists()
    corrected = report(api, id="d4", at=_now(-timedelta(hours=23)), **body).json()
    assert corrected["action"] == "allow"


def test_a_single_instruction_halt_stops_only_that_customer_s_asset_and_says_so(
    desk, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        halted = check(desk["api"], "big", 10 * BTC, customer="whale")
    assert halted["action"] == "halt"
    (started,) = halted["halts"]
    assert (started["scope"], started["key"], started["asset"]) == (
        "customer_asset",
        "whale",
        "BTC",
    )
    assert check(desk["api"], "next", 1, customer="whale")["reasons"][0]["code"] == "halted"
    assert check(desk["api"], "other", 1, customer="minnow")["action"] == "allow"
    halt = Halt.objects.get()
    assert halt.asset == "BTC" and halt.expires_at is None
    notice = Notification.objects.get(topic="custody.halt")
    assert "顧客 whale の BTC の出金" in notice.title_ja
    assert "customer whale's withdrawals of BTC" in notice.title_en
    page = client_for(desk["ciso"]).get(f"/custody/halts/{halt.pk}/").content.decode()
    assert "顧客 whale の BTC の出金" in page and "2名の承認でのみ解除" in page
    # a refused withdrawal cannot be cancelled: said so, not "unknown"
    cancel = report(desk["api"], type="withdrawal_cancelled", id="x", at=_now(), withdrawal="big")
    assert cancel.json()["reasons"][0]["code"] == "withdrawal_refused"


def test_a_halt_that_may_expire_ends_by_itself_and_one_of_everyone_may_not(desk) -> None:
    rule = ThresholdRule.objects.get(code="single-halt")
    rule.halt_expiry_minutes = 30
    rule.save()
    monitor.apply_thresholds()
    (started,) = check(desk["api"], "big", 10 * BTC, customer="whale")["halts"]
    assert started["until"] is not None
    halt = Halt.objects.get()
    assert halt.is_active()
    assert not halt.is_active(halt.expires_at)
    client = client_for(desk["ciso"])
    page = client.get(f"/custody/halts/{halt.pk}/").content.decode()
    assert "自動解除" in page
    refused = client.post(
        "/custody/thresholds/",
        {
            "code": "all-expiring",
            "direction": "withdrawal",
            "scope": "all",
            "level": "halt",
            "asset": Asset.objects.get(code="BTC").pk,
            "limit_units": str(50 * BTC),
            "window_seconds": "3600",
            "halt_expiry_minutes": "10",
        },
    )
    assert "全顧客を止める停止は自動では解除されず" in refused.content.decode()


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"limit_units": "0"}, "基準値 0 にはすべての入出金が達してしまいます"),
        ({"limit_amount": "0.000000001"}, "BTC の小数は 8 桁です"),
        (
            {"limit_units": "5", "scope": "customer", "window_seconds": str(40 * 86400)},
            "集計期間は最長 31 日です",
        ),
    ],
)
def test_a_limit_of_zero_or_a_window_beyond_retention_is_refused_with_a_message(
    desk, fields, said
) -> None:
    body = {
        "code": "bad",
        "direction": "withdrawal",
        "scope": "single",
        "level": "hold",
        "asset": Asset.objects.get(code="BTC").pk,
        **fields,
    }
    page = client_for(desk["ciso"]).post("/custody/thresholds/", body).content.decode()
    assert said in page
    assert not ApprovalRequest.objects.filter(kind="custody.threshold_create").exists()


def test_the_form_says_reached_means_equal_and_previews_the_last_30_days(desk) -> None:
    for n, amount in enumerate((1 * BTC, 2 * BTC, 3 * BTC)):
        check(desk["api"], f"w{n}", amount, customer=f"p{n}")
    client = client_for(desk["ciso"])
    page = client.get("/custody/thresholds/").content.decode()
    assert "基準値と等しい場合も「達した」とみなします" in page
    body = {
        "code": "single-2",
        "direction": "withdrawal",
        "scope": "single",
        "level": "halt",
        "asset": Asset.objects.get(code="BTC").pk,
        "limit_amount": "2",  # in the asset's units: 2 BTC, reached by exactly 2 BTC
        "preview": "1",
    }
    shown = client.post("/custody/thresholds/", body).content.decode()
    assert "基準値 2 BTC では、3 件の入出金のうち 2 件が基準値に達していました" in shown
    assert not ApprovalRequest.objects.filter(kind="custody.threshold_create").exists()
    del body["preview"]
    asked = client.post("/custody/thresholds/", body)
    assert asked.status_code == 302
    request = ApprovalRequest.objects.get(kind="custody.threshold_create")
    assert request.snapshot["rule"]["limit_units"] == str(2 * BTC)


def test_the_api_previews_a_limit_and_describes_what_reached_means(desk) -> None:
    check(desk["api"], "w1", 3 * BTC)
    admin = make_user("admin-ito")
    give(admin, "ciso")
    issued = tokens.issue("setup", ["custody:admin"], 30, admin)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    spec = {
        "code": "p",
        "direction": "withdrawal",
        "scope": "single",
        "level": "hold",
        "asset": "BTC",
        "limit_units": str(3 * BTC),
    }
    shown = api.post("/api/custody/thresholds/preview", spec, content_type="application/json")
    assert shown.status_code == 200, shown.content
    assert (shown.json()["movements"], shown.json()["reached"]) == (1, 1)
    assert shown.json()["limit_en"] == "3 BTC"
    zero = api.post(
        "/api/custody/thresholds/preview",
        {**spec, "limit_units": "0"},
        content_type="application/json",
    )
    assert zero.status_code == 422 and zero.json()["code"] == "zero_limit"
    schema = Client().get("/api/openapi.json").json()
    described = schema["components"]["schemas"]["ThresholdSpec"]["properties"]["limit_units"]
    assert "reaches this amount" in str(described) and "達した" in str(described)


def test_a_late_refusal_journalled_before_issue_30_replays_as_it_was_answered(desk) -> None:
    from mamori.engines import threshold as engine

    at = timezone.now() - timedelta(minutes=10)
    event = engine.WithdrawalRequest("old-late", at, "c1", "BTC", 1, ADDRESS)
    MonitorRecord.objects.create(
        kind=MonitorRecord.Kind.EVENT,
        event_id="old-late",
        row=engine.checked_row(event, timezone.now()),
        action="reject",
        reasons=[{"code": "late", "message": "behind the latest accepted event"}],
        recorded_at=timezone.now(),
    )
    monitor.reset()
    assert monitor.current().window_total("cust-hold", "c1", timezone.now()) == 0
    resent = monitor.decide(event, timezone.now())
    assert resent.codes == ("late",)


def test_a_hold_whose_closing_hook_failed_is_settled_by_the_job(desk) -> None:
    from mamori.custody.services import checks

    assert check(desk["api"], "h1", 5 * BTC)["action"] == "hold"
    approval = HeldWithdrawal.objects.get(event_id="h1").approval
    # expired, its hook never ran (the process died after the commit)
    ApprovalRequest.objects.filter(pk=approval.pk).update(status=ApprovalRequest.Status.EXPIRED)
    assert checks.settle_holds() == ["h1"]
    assert HeldWithdrawal.objects.get(event_id="h1").outcome == "refused"
    assert monitor.current().withdrawal_state("h1") == "refused"
    assert checks.settle_holds() == []


def test_the_exchange_cannot_send_an_event_under_the_names_mamori_gives_its_own(desk) -> None:
    """A hold's release or refusal is journalled as ``mamori:release:<w>`` /
    ``mamori:refuse:<w>``; an event of the exchange named so is refused, so it can never stand
    in for (or block) the real outcome (review M4)."""
    answer = desk["api"].post(
        "/api/custody/withdrawals/check",
        {
            "request_id": "mamori:refuse:w1",
            "customer": "c1",
            "asset": "BTC",
            "amount": "1",
            "address": ADDRESS,
        },
        content_type="application/json",
    )
    assert answer.status_code == 422 and "mamori:" in answer.content.decode()
    price = report(
        desk["api"],
        id="mamori:refuse:w1",
        type="price",
        at=timezone.now().isoformat(),
        asset="BTC",
        jpy="10000000",
    )
    assert price.status_code == 422 and "mamori:" in price.content.decode()
