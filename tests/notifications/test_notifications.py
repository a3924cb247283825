"""Notifications reach people at once over real SMTP and HTTP peers, retry, and escalate."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from mamori.accounts.models import Department, Role, RoleAssignment
from mamori.core import crypto
from mamori.notifications import services
from mamori.notifications.models import Delivery, Notification
from mamori.notifications.services import Recipient
from mamori.notifications.webhooks import WebhookRefused, sign
from tests.conftest import make_user, sign_in
from tests.peers import http_receiver, smtp_server

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def people():
    custody = Department.objects.create(code="custody", name_ja="カストディ部", name_en="Custody")
    operator, manager, ciso = make_user("op"), make_user("mgr"), make_user("chief")
    for user, code, department in (
        (operator, "custody_operator", custody),
        (manager, "dept_system_manager", custody),
        (ciso, "ciso", None),
    ):
        user.email = f"{user.username}@exchange.example"
        user.save()
        RoleAssignment.objects.create(
            user=user, role=Role.objects.get(code=code), department=department
        )
    return {"op": operator, "mgr": manager, "chief": ciso}


def use_smtp(settings, port: int) -> None:
    """Send through the real SMTP server (Django's test set-up swaps in an in-memory outbox)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port


LEVELS = [
    [Recipient("custody_operator", "custody")],
    [Recipient("dept_system_manager", "custody")],
    [Recipient("ciso")],
]


def test_an_alert_is_emailed_at_once_through_a_real_smtp_server(people, settings) -> None:
    with smtp_server() as (port, mailbox):
        use_smtp(settings, port)
        notification = services.notify(
            "custody.threshold",
            "critical",
            ("出金閾値超過", "Withdrawal threshold reached"),
            ("BTC 10 件", "BTC 10 transfers"),
            LEVELS[:1],
        )
    assert len(mailbox.messages) == 1, list(notification.deliveries.values("channel", "last_error"))
    message = mailbox.messages[0]
    assert message["To"] == "op@exchange.example"
    assert "出金閾値超過" in str(message.get("Subject")) or "=?utf-8?" in message["Subject"]
    email = notification.deliveries.get(channel="email")
    assert email.status == "sent" and email.attempts == 1
    assert notification.deliveries.get(channel="inapp").status == "sent"


def test_a_refusing_smtp_server_is_recorded_retried_and_escalated(people, settings) -> None:
    with smtp_server() as (port, mailbox):
        use_smtp(settings, port)
        mailbox.refuse = True
        notification = services.notify(
            "custody.threshold",
            "critical",
            ("閾値", "Threshold"),
            levels=LEVELS,
            requires_ack=True,
            escalate_after=timedelta(minutes=5),
        )
        email = notification.deliveries.get(channel="email", level=0)
        assert email.status == "pending" and email.attempts == 1
        assert "550" in email.last_error
        now = timezone.now()
        for step in range(1, services.MAX_ATTEMPTS):
            now += timedelta(seconds=services.BACKOFF_BASE_SECONDS * 2**step)
            services.deliver_due(now)
        email.refresh_from_db()
        assert email.status == "gave_up" and email.attempts == services.MAX_ATTEMPTS
        notification.refresh_from_db()
        assert notification.level == 1  # gave up → next responsible person
        mailbox.refuse = False
        services.deliver_due(now)
    assert [m["To"] for m in mailbox.messages] == ["mgr@exchange.example"]


def test_an_unacknowledged_alert_escalates_and_acknowledging_stops_it(people) -> None:
    notification = services.notify(
        "custody.halt",
        "critical",
        ("停止", "Halt"),
        levels=LEVELS,
        requires_ack=True,
        escalate_after=timedelta(minutes=5),
    )
    start = notification.created_at
    assert services.escalate_due(start + timedelta(minutes=4)) == 0
    assert services.escalate_due(start + timedelta(minutes=5)) == 1
    notification.refresh_from_db()
    assert notification.level == 1
    assert notification.deliveries.filter(level=1, user=people["mgr"]).exists()
    with pytest.raises(PermissionError):
        services.acknowledge(notification, people["chief"])  # not told yet
    services.acknowledge(notification, people["mgr"])
    assert services.escalate_due(start + timedelta(hours=1)) == 0
    notification.refresh_from_db()
    assert notification.level == 1 and notification.acknowledged_by == people["mgr"]


def test_webhooks_are_signed_and_slack_compatible(people, settings) -> None:
    settings.MAMORI_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with http_receiver() as (url, received):
        _slack, slack_secret = services.add_webhook("slack", url + "/slack", format="slack")
        plain, secret = services.add_webhook(
            "siem", url + "/siem", format="json", topics="custody.*"
        )
        services.add_webhook("other", url + "/other", topics="approvals.*")
        services.notify("custody.threshold", "critical", ("閾値", "Threshold"), levels=LEVELS[:1])
    by_path = {r["path"]: r for r in received.requests}
    assert set(by_path) == {"/slack", "/siem"}
    slack = by_path["/slack"]
    assert slack["json"] == {"text": "[CRITICAL] 閾値 / Threshold"}
    assert slack["headers"]["X-Mamori-Signature"] == sign(
        slack_secret, slack["headers"]["X-Mamori-Timestamp"], slack["body"]
    )
    siem = by_path["/siem"]
    assert siem["json"]["topic"] == "custody.threshold"
    expected = sign(secret, siem["headers"]["X-Mamori-Timestamp"], siem["body"])
    assert siem["headers"]["X-Mamori-Signature"] == expected
    assert crypto.decrypt(plain.secret_encrypted) == secret  # stored encrypted, not in clear
    assert secret not in plain.secret_encrypted


def test_a_failing_webhook_is_retried_with_backoff(people, settings) -> None:
    settings.MAMORI_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    with http_receiver() as (url, received):
        received.status = 500
        services.add_webhook("siem", url + "/siem")
        notification = services.notify("x.y", "critical", ("a", "a"), levels=LEVELS[:1])
        hook = notification.deliveries.get(channel="webhook")
        assert hook.status == "pending" and "HTTP 500" in hook.last_error
        assert hook.next_attempt_at > timezone.now() + timedelta(seconds=20)
        received.status = 200
        services.deliver_due(hook.next_attempt_at)
        hook.refresh_from_db()
        assert hook.status == "sent" and hook.attempts == 2
    assert len(received.requests) == 2


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/hook", "http or https"),
        ("http://169.254.169.254/latest/meta-data", "link-local address that is not globally"),
        ("http://127.0.0.1:9/hook", "loopback address that is not globally routable"),
        ("http://10.0.0.5/hook", "private address that is not globally routable"),
        ("http://100.64.0.1/hook", "carrier-grade NAT"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://no-such-host.invalid/hook", "does not resolve"),
    ],
)
def test_webhook_urls_that_are_not_allowed_are_refused(url: str, reason: str) -> None:
    with translation.override("en"), pytest.raises(WebhookRefused, match=reason) as refused:
        services.add_webhook("bad", url)
    assert refused.value.code == "bad_webhook"


@pytest.fixture
def rebinding(monkeypatch):
    """``hooks.example`` resolves twice to a public address (when the webhook is added and
    when a delivery is checked), then to 127.0.0.1 (DNS rebinding); connections are recorded,
    and one to the public address reaches the local receiver, which plays the public server
    (nothing leaves the machine)."""
    real_resolve, real_connect = socket.getaddrinfo, socket.create_connection
    answers = ["93.184.216.34", "93.184.216.34"]
    connected: list[tuple[str, int]] = []

    def resolve(host, port, *args, **kwargs):
        if host != "hooks.example":
            return real_resolve(host, port, *args, **kwargs)
        address = answers.pop(0) if answers else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    def connect(address, *args, **kwargs):
        connected.append(address)
        host = "127.0.0.1" if address[0] == "93.184.216.34" else address[0]
        return real_connect((host, address[1]), *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket, "create_connection", connect)
    return connected


def test_a_webhook_connects_to_the_address_it_checked_not_to_a_second_answer(
    people, rebinding
) -> None:
    with http_receiver() as (url, received):
        port = int(url.rsplit(":", 1)[1])
        services.add_webhook("siem", f"http://hooks.example:{port}/siem")
        services.notify("x.y", "critical", ("a", "a"), levels=LEVELS[:1])
    assert rebinding == [("93.184.216.34", port)]
    assert [r["headers"]["Host"] for r in received.requests] == [f"hooks.example:{port}"]


def test_an_allowed_internal_host_still_receives_webhooks(people, settings, rebinding) -> None:
    settings.MAMORI_WEBHOOK_ALLOWED_HOSTS = ["hooks.example"]
    with http_receiver() as (url, received):
        port = int(url.rsplit(":", 1)[1])
        services.add_webhook("siem", f"http://hooks.example:{port}/siem")
        services.notify("x.y", "critical", ("a", "a"), levels=LEVELS[:1])
        services.notify("x.y", "critical", ("b", "b"), levels=LEVELS[:1])
    assert len(received.requests) == 2
    assert rebinding == [("93.184.216.34", port), ("93.184.216.34", port)]


def test_people_see_and_acknowledge_alerts_in_the_ui(people) -> None:
    notification = services.notify(
        "custody.halt",
        "critical",
        ("停止", "Halt"),
        levels=LEVELS,
        requires_ack=True,
        escalate_after=timedelta(minutes=5),
    )
    client = Client()
    sign_in(client, people["op"])
    assert "停止" in client.get("/").content.decode()  # dashboard widget
    assert "停止" in client.get("/notifications/").content.decode()
    page = client.get(f"/notifications/{notification.pk}/").content.decode()
    assert f"/notifications/{notification.pk}/acknowledge/" in page  # the button is offered
    client.post(f"/notifications/{notification.pk}/acknowledge/")
    notification.refresh_from_db()
    assert notification.acknowledged_by == people["op"]
    other = Client()
    sign_in(other, people["chief"])
    assert other.get(f"/notifications/{notification.pk}/").status_code == 403


def test_services_raise_alerts_through_the_api(people) -> None:
    from mamori.accounts.services import tokens

    secret = tokens.issue("monitor", ["notifications:send"], 30, None).secret
    response = Client().post(
        "/api/notifications",
        {
            "topic": "custody.threshold",
            "severity": "critical",
            "title_ja": "閾値",
            "title_en": "Threshold",
            "levels": [[{"role": "custody_operator", "department": "custody"}]],
            "requires_ack": True,
            "escalate_after_seconds": 300,
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 201, response.content
    assert Notification.objects.get().deliveries.filter(user=people["op"]).exists()
    bad = Client().post(
        "/api/notifications",
        {"topic": "x", "severity": "loud", "title_ja": "a", "title_en": "a", "levels": [[]]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert bad.status_code == 422
    assert {f["field"].split(".")[-1] for f in bad.json()["fields"]} >= {"severity"}


def _send(secret: str, **changes):
    body = {
        "topic": "custody.threshold",
        "severity": "critical",
        "title_ja": "閾値",
        "title_en": "Threshold",
        "levels": [[{"role": "custody_operator", "department": "custody"}]],
        **changes,
    }
    return Client().post(
        "/api/notifications",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_an_alert_to_a_role_or_department_that_does_not_exist_is_refused_naming_it(
    people,
) -> None:
    from mamori.accounts.services import tokens

    secret = tokens.issue("monitor", ["notifications:send"], 30, None).secret
    ciso = {"role": "ciso"}
    for levels, field, words in (
        ([[ciso], [ciso, {"role": "cisoo"}]], "body.body.levels.1.1.role", "no role 'cisoo'"),
        ([[{"role": "ciso", "department": "nowhere"}]], "body.body.levels.0.0.department", ""),
    ):
        refused = _send(secret, levels=levels)
        assert refused.status_code == 422, refused.content
        [error] = refused.json()["fields"]
        assert error["field"] == field and words in error["message"]
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://evil.example/login",
        "http://localhost/custody/",
        "//evil.example/",
        "/\\evil.example/",
        " /custody/",
        "custody/",
    ],
)
def test_an_alert_with_a_link_outside_mamori_is_refused(people, link: str) -> None:
    from mamori.accounts.services import tokens

    secret = tokens.issue("monitor", ["notifications:send"], 30, None).secret
    refused = _send(secret, link=link)
    assert refused.status_code == 422, refused.content
    [error] = refused.json()["fields"]
    assert error["field"] == "body.body.link" and "path in mamori" in error["message"]
    assert not Notification.objects.exists()


def test_an_alert_may_link_to_a_page_of_mamori(people, settings) -> None:
    from mamori.accounts.services import tokens

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "mamori.exchange.example"]
    secret = tokens.issue("monitor", ["notifications:send"], 30, None).secret
    for link in ("/custody/", "https://mamori.exchange.example/custody/?asset=BTC"):
        assert _send(secret, link=link).status_code == 201
    assert {n.link for n in Notification.objects.all()} == {
        "/custody/",
        "https://mamori.exchange.example/custody/?asset=BTC",
    }


def test_an_approval_request_notifies_its_approvers(people) -> None:
    from mamori.accounts.services import approvals

    approvals.register_kind("test.x", policy="halt_lift", apply=lambda request: None)
    approvals.submit("test.x", "Lift halt", {"a": 1}, people["op"])
    told = Delivery.objects.filter(notification__topic="approvals.submitted", channel="inapp")
    assert {d.user.username for d in told} == {"mgr", "chief"}


def test_the_requester_is_told_through_the_event_bus_when_their_request_closes(people) -> None:
    from mamori.accounts.services import approvals

    approvals.register_kind("test.y", policy="halt_lift", apply=lambda request: None)
    RoleAssignment.objects.create(user=people["op"], role=Role.objects.get(code="ciso"))
    request = approvals.submit("test.y", "Lift halt", {"a": 1}, people["mgr"])
    approvals.decide(request.pk, people["op"], "approve", "ok")
    approvals.decide(request.pk, people["chief"], "approve", "ok")
    told = Notification.objects.get(topic="approvals.closed")
    assert told.title_en == f"Request #{request.pk} approved: Lift halt"
    assert told.deliveries.filter(user=people["mgr"], channel="inapp").exists()


def test_without_an_smtp_server_notifications_stay_in_app(people, settings) -> None:
    settings.EMAIL_HOST = ""
    notification = services.notify("x.y", "warning", ("a", "a"), levels=LEVELS[:1])
    assert list(notification.deliveries.values_list("channel", flat=True)) == ["inapp"]
