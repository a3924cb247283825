"""Custody holds against hostile input: a journal that cannot be poisoned, bounded ids,
amounts and prices, bodies refused over the limit before they are read (issue 22)."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as tz

import pytest
from django.test import Client
from django.utils import timezone

from mamori.accounts.services import tokens
from mamori.custody.models import Asset, MonitorRecord
from mamori.custody.services import inbound, monitor
from mamori.engines import threshold as engine
from mamori.notifications.models import Notification
from tests.conftest import client_for, give, make_user, monitored_btc

pytestmark = pytest.mark.django_db
BTC = 10**8
ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
#: The time that poisoned the journal: accepted by the parser, unreadable once converted
YEAR_ONE = "0001-01-01T00:00:00+23:59"


@pytest.fixture
def desk(db):
    """BTC and ETH, each with a responsible operator and thresholds; a token to check and
    report; a CISO to read the page."""
    monitor.reset()
    operator = give(make_user("op-kato"), "custody_operator")
    btc = monitored_btc(operator, [("single", "single", "hold", 5 * BTC, None)])
    Asset.objects.create(
        code="ETH",
        name="Ether",
        chain="ethereum",
        decimals=18,
        responsible=operator,
        unknown_address="allow",
    )
    monitor.apply_thresholds()
    issued = tokens.issue("exchange", ["custody:check", "custody:report", "custody:read"], 30, None)
    yield {
        "api": Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}", HTTP_ACCEPT_LANGUAGE="en"),
        "operator": operator,
        "btc": btc,
        "ciso": give(make_user("ciso-mori"), "ciso"),
    }
    monitor.reset()


def check(api: Client, request_id: str, amount: int, asset: str = "BTC", **extra: str):
    body = {
        "request_id": request_id,
        "customer": "c1",
        "asset": asset,
        "amount": str(amount),
        "address": ADDRESS if asset == "BTC" else "0x" + "ab" * 20,
        **extra,
    }
    return api.post("/api/custody/withdrawals/check", body, content_type="application/json")


def event(api: Client, **fields: str):
    body = {"at": timezone.now().isoformat(), **fields}
    return api.post("/api/custody/events", body, content_type="application/json")


def refusal(response, field: str) -> str:
    """Return what a 422 says of ``field`` (a field of the body)."""
    assert response.status_code == 422, response.content
    said = {f["field"].rsplit(".", 1)[-1]: f["message"] for f in response.json()["fields"]}
    return said[field]


# -- 1. a journal that cannot be poisoned ---------------------------------------------------


@pytest.mark.parametrize(
    ("at", "why"),
    [
        (YEAR_ONE, "at most 7 days before"),
        ("2019-01-01T00:00:00+09:00", "at most 7 days before"),
        ("+10 minutes", "5 minutes after"),
    ],
)
def test_a_check_timed_far_from_now_is_refused_naming_the_field_and_nothing_is_written(
    desk, at, why
) -> None:
    if at == "+10 minutes":
        at = (timezone.now() + timedelta(minutes=10)).isoformat()
    refused = check(desk["api"], "poison", 1, at=at)
    assert refused.json()["code"] == "invalid" and why in refusal(refused, "at")
    assert not MonitorRecord.objects.filter(event_id="poison").exists()
    monitor.reset()  # what every process does on start: the journal still loads
    assert check(desk["api"], "after", 1).json()["action"] == "allow"


def test_an_event_timed_in_year_one_is_refused_naming_the_field_and_nothing_is_written(
    desk,
) -> None:
    refused = event(desk["api"], type="price", id="px", asset="BTC", jpy="15000000", at=YEAR_ONE)
    assert "'at' must be at most 7 days before" in refusal(refused, "at")
    assert not MonitorRecord.objects.filter(event_id="px").exists()


@pytest.mark.usefixtures("english")
def test_an_event_from_the_bus_or_a_file_outside_the_window_is_refused_before_deciding(
    desk,
) -> None:
    from mamori.custody import consumers
    from mamori.events.bus import Event

    data = {"type": "deposit", "id": "bus-1", "customer": "c", "asset": "BTC", "amount": "1"}
    bad = {**data, "at": YEAR_ONE}
    consumers.handle_inbound(Event("mamori.custody.in.deposit", "e1", bad, timezone.now()))
    assert not MonitorRecord.objects.filter(event_id="bus-1").exists()
    with pytest.raises(ValueError, match="'at' must be between 2009-01-03 and 2100-01-01"):
        inbound.parse({**data, "at": YEAR_ONE})  # a replayed file: no clock to go by
    with pytest.raises(ValueError, match="'at' must be between"):
        inbound.parse({**data, "at": "9999-12-31T23:59:59-23:59"})


def test_the_monitor_refuses_to_write_a_time_it_could_not_read_back(desk) -> None:
    at = datetime.fromisoformat(YEAR_ONE)
    decision = monitor.decide(
        engine.WithdrawalRequest("direct", at, "c", "BTC", 1, ADDRESS), timezone.now()
    )
    assert decision.action is engine.Action.REJECT and decision.codes == ("bad_time",)
    assert not MonitorRecord.objects.filter(event_id="direct").exists()


def _poison(asset: str, event_id: str = "poisoned") -> MonitorRecord:
    """Write, as an old version of mamori did, a withdrawal the journal cannot read back."""
    at = datetime(1, 1, 1, tzinfo=tz(timedelta(hours=23, minutes=59)))
    row = engine.checked_row(
        engine.WithdrawalRequest(event_id, at, "c9", asset, 1, "addr"), timezone.now()
    )
    return MonitorRecord.objects.create(
        kind=MonitorRecord.Kind.EVENT,
        event_id=event_id,
        row=row,
        action="reject",
        reasons=[{"code": "late", "message": "late"}],
        recorded_at=timezone.now(),
    )


def test_a_journal_row_that_cannot_be_loaded_stops_only_its_asset_and_is_told_at_once(
    desk, django_capture_on_commit_callbacks
) -> None:
    assert check(desk["api"], "before", 1).json()["action"] == "allow"
    record = _poison("ETH")
    monitor.reset()  # a restart: the journal is loaded again, poisoned row and all
    with django_capture_on_commit_callbacks(execute=True):
        btc = check(desk["api"], "btc-1", 1)
    assert btc.status_code == 200 and btc.json()["action"] == "allow"  # BTC goes on
    eth = check(desk["api"], "eth-1", 10**15, asset="ETH")
    assert eth.status_code == 200
    assert eth.json()["action"] == "reject"
    (reason,) = eth.json()["reasons"]
    assert reason["code"] == "journal_quarantined" and f"#{record.pk}" in reason["message"]
    assert not MonitorRecord.objects.filter(event_id="eth-1").exists()  # refused, not decided
    assert monitor.quarantined() == {record.pk: "ETH"}
    (told,) = Notification.objects.filter(topic=f"custody.quarantine.{record.pk}")
    assert told.severity == "critical" and told.requires_ack and "ETH" in told.title_en
    assert told.deliveries.filter(user=desk["operator"]).exists()
    monitor.reset()
    monitor.current()  # loaded again (another process, a restart): told once only
    assert Notification.objects.filter(topic=f"custody.quarantine.{record.pk}").count() == 1
    page = client_for(desk["ciso"]).get("/custody/")
    assert page.status_code == 200 and told.title_ja in page.content.decode()


def test_a_row_naming_no_asset_that_cannot_be_loaded_stops_every_asset(desk) -> None:
    MonitorRecord.objects.create(
        kind=MonitorRecord.Kind.LIFT,
        event_id="lift:broken",
        row={"not": "a lift"},
        recorded_at=timezone.now(),
    )
    monitor.reset()
    refused = check(desk["api"], "btc-2", 1).json()
    assert refused["action"] == "reject"
    assert refused["reasons"][0]["code"] == "journal_quarantined"


# -- 2. ids, amounts and prices within bounds ---------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("request_id", "r\x00nul", "U+0000"),
        ("request_id", "r\u202egpj.exe", "U+202E"),
        ("customer", "c\u200f1", "U+200F"),
        ("address", f"{ADDRESS}\u2066", "U+2066"),
        ("request_id", "r" * 129, "at most 128 characters"),
        ("customer", "c" * 129, "at most 128 characters"),
    ],
)
def test_an_id_with_a_control_or_direction_character_or_too_long_is_refused(
    desk, field, value, why
) -> None:
    body = {"request_id": "ok", "customer": "c1", "asset": "BTC", "amount": "1"}
    body["address"] = ADDRESS
    body[field] = value
    refused = desk["api"].post(
        "/api/custody/withdrawals/check", body, content_type="application/json"
    )
    assert why in refusal(refused, field)
    assert not MonitorRecord.objects.filter(kind="event").exclude(event_id="").exists()


def test_an_event_id_with_a_direction_character_is_refused_and_so_is_one_from_the_bus(
    desk,
) -> None:
    refused = event(desk["api"], type="price", id="p\u202e1", asset="BTC", jpy="15000000")
    assert "U+202E" in refusal(refused, "id")
    with pytest.raises(ValueError, match="'customer' holds a control"):
        inbound.parse(
            {
                "type": "deposit",
                "id": "d1",
                "at": timezone.now().isoformat(),
                "customer": "c\x00",
                "asset": "BTC",
                "amount": "1",
            }
        )
    with pytest.raises(ValueError, match="'id' is 129 characters long; at most 128"):
        inbound.parse({"type": "price", "id": "p" * 129, "at": timezone.now().isoformat()})


@pytest.mark.parametrize(
    ("jpy", "why"),
    [
        ("0.000001", "between 0.0001 and 1,000,000,000,000 yen"),
        ("1e400", "digits with at most 6 decimals"),
        ("NaN", "digits with at most 6 decimals"),
        ("Infinity", "digits with at most 6 decimals"),
        ("-15000000", "digits with at most 6 decimals"),
        ("0", "between 0.0001"),
        ("10000000000000", "digits with at most 6 decimals"),  # 14 digits: ten trillion yen
        ("15000000.1234567", "digits with at most 6 decimals"),
    ],
)
def test_a_price_that_is_not_positive_finite_and_within_reason_is_refused(desk, jpy, why) -> None:
    refused = event(desk["api"], type="price", id=f"px-{jpy}", asset="BTC", jpy=jpy)
    assert refused.status_code == 422 and "'jpy'" in refused.json()["message"]
    assert why in refused.json()["message"]
    assert not MonitorRecord.objects.filter(event_id=f"px-{jpy}").exists()
    assert "BTC" not in monitor.current().prices


def test_a_reasonable_price_is_taken_exactly(desk) -> None:
    from decimal import Decimal

    taken = event(desk["api"], type="price", id="px-ok", asset="BTC", jpy="15000000.123456")
    assert taken.status_code == 200 and taken.json()["action"] == "allow"
    assert monitor.current().prices["BTC"] == Decimal("15000000.123456")


@pytest.mark.usefixtures("english")
def test_an_amount_is_a_whole_number_of_base_units_below_two_to_the_256(desk) -> None:
    def withdrawal(amount: str) -> engine.Event:
        return inbound.parse(
            {
                "type": "withdrawal",
                "id": "w",
                "at": timezone.now().isoformat(),
                "customer": "c",
                "asset": "ETH",
                "amount": amount,
            }
        )

    assert withdrawal(str(2**256 - 1)).amount == 2**256 - 1  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="below 2\\^256"):
        withdrawal(str(2**256))
    with pytest.raises(ValueError, match="below 2\\^256"):
        withdrawal("\u0663")  # an Arabic-Indic three: a digit to Python, not to us
    refused = check(desk["api"], "big", 10**40)  # 41 digits: over the API's bound
    assert "base units" in refusal(refused, "amount")


def test_resending_the_poisoned_id_without_a_time_is_refused_not_a_server_error(desk) -> None:
    _poison("ETH", "eth-poisoned")
    monitor.reset()
    body = {
        "request_id": "eth-poisoned",
        "customer": "c9",
        "asset": "ETH",
        "amount": "1",
        "address": ADDRESS,
    }
    answer = desk["api"].post("/api/custody/withdrawals/check", body, "application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["action"] == "reject"
    assert answer.json()["reasons"][0]["code"] == "journal_quarantined"
