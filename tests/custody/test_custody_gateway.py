"""The fast withdrawal check answers exactly as the documented endpoint, or lets it answer."""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
from pathlib import Path

import httpx
import pytest
from django.test import Client

from mamori.accounts.services import tokens
from mamori.auditlog.models import Entry
from mamori.custody.fastpath import decider, wire
from mamori.custody.fastpath.gateway import PATH, Gateway
from mamori.custody.fastpath.wire import Address
from mamori.custody.models import MonitorRecord
from mamori.custody.services import checks, monitor
from tests.conftest import give, make_user, monitored_btc

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
BTC = 10**8
ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
HOST = "127.0.0.1"
PER_REQUEST = {"x-request-id", "content-length"}


@pytest.fixture(params=["thread", "process"])
def desk(request, tmp_path_factory):
    """BTC with thresholds that hold (5 BTC at once) and halt (20 BTC an hour), two tokens,
    and the gateway in front of Django — deciding in a thread of its own, or asking a decider
    serving a Unix socket (as the decider process does)."""
    monitor.reset()
    monitored_btc(
        give(make_user("op-sato"), "custody_operator"),
        [
            ("single", "single", "hold", 5 * BTC, None),
            ("all", "all", "halt", 20 * BTC, 3600),
        ],
    )
    from mamori.asgi import django_application

    stop, server = threading.Event(), None
    if request.param == "process":
        socket = Path(tempfile.mkdtemp(prefix="mamori-")) / "decider.sock"  # short: a Unix path
        ready = threading.Event()
        server = threading.Thread(target=decider.serve, args=(socket, ready, stop), daemon=True)
        server.start()
        assert ready.wait(30)
    gateway = Gateway(django_application, [Address("unix", str(socket))] if server else None)
    try:
        yield {
            "gateway": gateway,
            "decider": server,
            "token": tokens.issue("exchange", ["custody:check"], 30, None),
            "reader": tokens.issue("reader", ["custody:read"], 30, None).secret,
        }
    finally:
        stop.set()
        gateway.stop()
        if server is not None:
            server.join(10)
    monitor.reset()


def body(request_id: str, amount: int, customer: str = "c1", **extra: str) -> dict[str, str]:
    return {
        "request_id": request_id,
        "customer": customer,
        "asset": "BTC",
        "amount": str(amount),
        "address": ADDRESS,
        **extra,
    }


def through_gateway(gateway: Gateway, requests: list[tuple[str | None, bytes, str]]) -> list:
    """Send (token, raw body, language) requests to the ASGI application concurrently."""

    async def send_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=gateway, client=("10.1.2.3", 5555))
        async with httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}") as http:

            async def one(secret: str | None, raw: bytes, language: str) -> httpx.Response:
                headers = {"Content-Type": "application/json", "Accept-Language": language}
                if secret is not None:
                    headers["Authorization"] = f"Bearer {secret}"
                return await http.post(PATH, content=raw, headers=headers)

            return list(await asyncio.gather(*(one(*r) for r in requests)))

    return asyncio.run(send_all())


def through_django(secret: str | None, raw: bytes, language: str):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    client = Client(enforce_csrf_checks=True, HTTP_HOST=HOST, HTTP_ACCEPT_LANGUAGE=language)
    return client.post(PATH, raw, content_type="application/json", **extra)


def headers_of(response) -> dict[str, str]:
    items = response.headers.items()
    return {k.lower(): v for k, v in items if k.lower() not in PER_REQUEST}


def test_the_gateway_answers_as_the_endpoint_does(desk) -> None:
    secret = desk["token"].secret
    sent = [
        json.dumps(body("allow", 1 * BTC)).encode(),
        json.dumps(body("held", 5 * BTC)).encode(),  # held: an approval request
        json.dumps(body("w1", 4 * BTC, customer="x1")).encode(),
    ]
    fast = through_gateway(desk["gateway"], [(secret, raw, "ja") for raw in sent])
    more = [json.dumps(body(f"w{i}", 4 * BTC, customer=f"x{i}")).encode() for i in (2, 3, 4)]
    later = [through_gateway(desk["gateway"], [(secret, raw, "en")])[0] for raw in more]  # in order
    # 1 + 5 (held, counted) + 4 + 4 + 4 = 18 BTC; the next 4 reach the 20 BTC an hour: halt
    assert [r.json()["action"] for r in fast] == ["allow", "hold", "allow"]
    assert [r.json()["action"] for r in later] == ["allow", "allow", "halt"]
    assert fast[1].json()["approval_request"] is not None
    assert later[-1].json()["halts"][0]["at"]
    for response, raw, language in [*zip(fast, sent, ["ja"] * 3), (later[-1], more[-1], "en")]:
        again = through_django(secret, raw, language)  # a resend: the first decision, rendered
        assert again.status_code == response.status_code == 200
        assert again.content == response.content
        assert headers_of(again) == headers_of(response)
        assert response.headers["x-request-id"] and response.headers["content-language"] == language


@pytest.mark.parametrize(
    ("token", "raw", "status"),
    [
        ("ok", b"{not json", 400),
        ("ok", json.dumps(body("bad", 1)).replace('"1"', '"1.5"').encode(), 422),
        ("ok", json.dumps(body("naive", 1, at="2026-11-22T09:00:00")).encode(), 422),
        ("unknown", json.dumps(body("u", 1)).encode(), 401),
        ("reader", json.dumps(body("s", 1)).encode(), 403),
        (None, json.dumps(body("n", 1)).encode(), 401),
    ],
)
def test_what_the_gateway_cannot_answer_exactly_is_answered_by_the_endpoint(
    desk, token, raw, status
) -> None:
    secret = {"ok": desk["token"].secret, "reader": desk["reader"], "unknown": "mamori_x_y"}.get(
        token
    )
    (fast,) = through_gateway(desk["gateway"], [(secret, raw, "ja")])
    slow = through_django(secret, raw, "ja")
    assert fast.status_code == slow.status_code == status
    assert fast.content == slow.content
    assert headers_of(fast) == headers_of(slow)
    assert not MonitorRecord.objects.filter(kind="event").exists()


def test_concurrent_checks_are_decided_once_each_and_logged_with_their_request(desk) -> None:
    secret = desk["token"].secret
    requests = [
        (secret, json.dumps(body(f"c{i}", 1 * BTC, customer=f"k{i}")).encode(), "en")
        for i in range(30)
    ]
    requests += requests[:5]  # resent while the first copies are being decided
    answers = through_gateway(desk["gateway"], requests)
    assert all(a.status_code == 200 for a in answers)
    actions = [a.json()["action"] for a in answers]
    # the all-customers limit (20 BTC an hour) halts the 20th; later ones are refused
    assert actions[:30].count("allow") == 19 and actions[:30].count("halt") == 1
    assert [a.json() for a in answers[30:]] == [a.json() for a in answers[:5]]
    assert MonitorRecord.objects.filter(kind="event").count() == 30
    for answer, resent in zip(answers[:3], answers[30:33], strict=True):
        record = MonitorRecord.objects.get(event_id=answer.json()["id"])
        entry = Entry.objects.get(object_type="custody.monitorrecord", object_id=str(record.pk))
        logged = json.loads(entry.body)
        # the copy the decider took first made the record, under that request's id
        assert entry.request_id in {answer.headers["x-request-id"], resent.headers["x-request-id"]}
        assert logged["actor"] == f"token:{desk['token'].token.prefix}"
        assert logged["ip"] == "10.1.2.3"


def test_a_check_that_fails_in_a_batch_is_answered_by_the_endpoint(desk, monkeypatch) -> None:
    real = checks.check_withdrawal
    failures = []

    def fails_once(*args, **kwargs):
        if not failures:
            failures.append(args[0])
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(checks, "check_withdrawal", fails_once)
    secret = desk["token"].secret
    (answer,) = through_gateway(
        desk["gateway"], [(secret, json.dumps(body("f1", 1)).encode(), "en")]
    )
    assert failures == ["f1"]
    assert answer.status_code == 200 and answer.json()["action"] == "allow"
    assert MonitorRecord.objects.filter(event_id="f1").count() == 1


def test_a_check_that_fails_in_a_batch_leaves_the_others_decided_once(desk, monkeypatch) -> None:
    real = checks.check_withdrawal
    calls = []

    def fails_f2(request_id, *args, **kwargs):
        calls.append(request_id)
        if request_id == "f2":
            raise RuntimeError("the database went away")
        return real(request_id, *args, **kwargs)

    monkeypatch.setattr(checks, "check_withdrawal", fails_f2)
    secret = desk["token"].secret
    batch = [
        decider.Check(
            secret, json.dumps(body(f"f{i}", BTC, customer=f"k{i}")).encode(), f"{i:032x}", None
        )
        for i in (1, 2, 3)
    ]
    answers = decider.decide_batch(batch)
    # the batch's transaction failed with f2, then each check was decided alone
    assert calls == ["f1", "f2", "f1", "f2", "f3"]
    assert answers[1] is None  # Django's endpoint answers it
    assert [json.loads(answers[i])["action"] for i in (0, 2)] == ["allow", "allow"]
    records = MonitorRecord.objects.filter(kind="event").order_by("pk")
    assert [r.event_id for r in records] == ["f1", "f3"]
    logged = Entry.objects.filter(object_type="custody.monitorrecord").order_by("position")
    # the configuration's record, then one entry each for f1 and f3, under their requests
    config = MonitorRecord.objects.get(kind="config")
    assert [e.object_id for e in logged] == [str(r.pk) for r in (config, *records)]
    assert [e.request_id for e in logged][1:] == [f"{1:032x}", f"{3:032x}"]
    # the monitor in memory forgot what the failed transaction decided
    current = monitor.current()
    assert current.knows("f1") and current.knows("f3") and not current.knows("f2")


def test_a_batch_reads_the_journal_once_and_the_next_batch_reads_it_again(
    desk, monkeypatch
) -> None:
    reads = []
    real = monitor._FROM.all

    def counted(first):
        reads.append(first)
        return real(first)

    monkeypatch.setattr(monitor._FROM, "all", counted)
    secret = desk["token"].secret

    def batch(*ids: str) -> list:
        checks = [
            decider.Check(
                secret, json.dumps(body(i, 4 * BTC, customer="k")).encode(), f"r-{i}", None
            )
            for i in ids
        ]
        return [json.loads(answer) for answer in decider.decide_batch(checks)]

    first = batch("b1", "b2", "b3")
    assert len(reads) == 1  # the second and third check knew the journal was theirs
    second = batch("b4", "b5")
    assert len(reads) == 2  # a new transaction: another process may have written since
    # the hourly window holds every check of both batches: the fifth reaches 20 BTC and halts
    assert [a["action"] for a in first + second] == ["allow"] * 4 + ["halt"]


def test_a_check_no_decider_leads_for_is_answered_503_and_decided_nowhere(
    desk, tmp_path, monkeypatch
) -> None:
    from mamori.asgi import django_application

    monkeypatch.setattr(wire, "SWITCH_WAIT", 0.3)
    nobody = Gateway(django_application, [Address("unix", str(tmp_path / "nobody.sock"))])
    try:
        raw = json.dumps(body("alone", 1)).encode()
        (answer,) = through_gateway(nobody, [(desk["token"].secret, raw, "ja")])
    finally:
        nobody.stop()
    assert answer.status_code == 503 and answer.headers["retry-after"] == "1"
    assert answer.json()["code"] == "decider_unavailable"
    assert "切り替え" in answer.json()["message"]  # in the language asked for
    assert not MonitorRecord.objects.filter(event_id="alone").exists()


def test_a_host_django_does_not_serve_is_refused_as_django_refuses_it(desk) -> None:
    raw = json.dumps(body("elsewhere", 1)).encode()

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=desk["gateway"])
        async with httpx.AsyncClient(transport=transport, base_url="http://evil.example") as http:
            return await http.post(
                PATH, content=raw, headers={"Authorization": f"Bearer {desk['token'].secret}"}
            )

    refused = asyncio.run(send())
    assert refused.status_code == 400
    assert not MonitorRecord.objects.filter(event_id="elsewhere").exists()


def test_the_decider_drops_a_connection_that_sends_no_checks_and_goes_on(desk, tmp_path) -> None:
    if desk["decider"] is None:
        pytest.skip("about the decider serving a socket")
    import socket as sockets

    for garbage in (b"\x00\x00\x00\x05hello", b"\x00\x00\x00\x03\x35\x00x"):
        with sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM) as stranger:
            stranger.connect(desk["gateway"].deciders[0].where)
            stranger.sendall(garbage)
            stranger.settimeout(5)
            assert stranger.recv(100) == b""  # dropped, no answer
    assert desk["decider"].is_alive()  # still serving
    raw = json.dumps(body("after", 1)).encode()
    (answer,) = through_gateway(desk["gateway"], [(desk["token"].secret, raw, "en")])
    assert answer.status_code == 200 and answer.json()["action"] == "allow"


def test_with_the_fast_path_off_every_check_is_the_endpoints(desk, tmp_path, monkeypatch) -> None:
    from mamori.asgi import django_application

    monkeypatch.setenv("MAMORI_CUSTODY_FASTPATH", "0")
    monkeypatch.setattr(wire, "SWITCH_WAIT", 0.3)
    # a decider that no one runs: had the gateway asked it, the answer would be 503
    off = Gateway(django_application, [Address("unix", str(tmp_path / "nobody.sock"))])
    try:
        raw = json.dumps(body("by-django", 1)).encode()
        (answer,) = through_gateway(off, [(desk["token"].secret, raw, "en")])
    finally:
        off.stop()
    assert answer.status_code == 200 and answer.json()["action"] == "allow"
    assert MonitorRecord.objects.filter(event_id="by-django", decided_by=None).count() == 1
