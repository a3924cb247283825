"""Signing in takes a password and a TOTP code; failures slow down, then lock, and are logged."""

from __future__ import annotations

import logging
from datetime import timedelta

import pyotp
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from mamori.accounts.models import LoginAttempt, RecoveryCode, TotpDevice, User
from tests.conftest import PASSWORD, make_user, sign_in, totp_for

pytestmark = pytest.mark.django_db


def post_password(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_a_password_alone_does_not_sign_in(client: Client, alice: User) -> None:
    response = post_password(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/"
    assert client.get("/").status_code == 302  # the dashboard still asks to sign in


def test_password_and_current_totp_code_reach_the_dashboard(client: Client, alice: User) -> None:
    sign_in(client, alice)
    response = client.get("/")
    assert response.status_code == 200
    assert "ダッシュボード" in response.content.decode()
    assert LoginAttempt.objects.filter(user=alice, stage="totp", outcome="success").exists()


def test_a_wrong_password_is_refused_without_saying_whether_the_user_exists(
    client: Client, alice: User
) -> None:
    wrong = post_password(client, "alice", "not the password")
    unknown = post_password(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    assert "ユーザー名またはパスワードが正しくありません" in wrong.content.decode()
    assert wrong.content.decode().count("正しくありません") == unknown.content.decode().count(
        "正しくありません"
    )
    assert "_auth_user_id" not in client.session
    assert LoginAttempt.objects.filter(username="alice", outcome="failure").count() == 1


def test_a_wrong_totp_code_is_refused_and_recorded(client: Client, alice: User) -> None:
    post_password(client, "alice", PASSWORD)
    code = totp_for(alice).now()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/login/code/", {"code": wrong})
    assert response.status_code == 400
    assert client.get("/").status_code == 302
    assert LoginAttempt.objects.filter(user=alice, stage="totp", outcome="failure").exists()


def test_a_code_in_other_digits_is_a_wrong_code_not_a_failure(client: Client, alice: User) -> None:
    """Six Arabic-Indic digits pass ``str.isdigit``; they are refused like any wrong code."""
    post_password(client, "alice", PASSWORD)
    response = client.post("/accounts/login/code/", {"code": "١٢٣٤٥٦"})
    assert response.status_code == 400
    assert LoginAttempt.objects.filter(user=alice, stage="totp", outcome="failure").exists()


def test_a_totp_code_cannot_be_replayed(alice: User) -> None:
    first, second = Client(), Client()
    post_password(first, "alice", PASSWORD)
    post_password(second, "alice", PASSWORD)
    code = totp_for(alice).now()
    assert first.post("/accounts/login/code/", {"code": code}).status_code == 302
    replay = second.post("/accounts/login/code/", {"code": code})
    assert replay.status_code == 400
    assert "すでに使用されています" in replay.content.decode()


def test_an_older_code_is_refused_after_a_newer_one_was_used(client: Client, alice: User) -> None:
    totp = totp_for(alice)
    now = timezone.now()
    post_password(client, "alice", PASSWORD)
    with time_machine.travel(now, tick=False):
        current = totp.at(now)
        previous = totp.at(now - timedelta(seconds=30))
        assert client.post("/accounts/login/code/", {"code": current}).status_code == 302
        other = Client()
        post_password(other, "alice", PASSWORD)
        # the previous step is inside the drift window but older than the last used step
        assert other.post("/accounts/login/code/", {"code": previous}).status_code == 400


def test_repeated_failures_slow_down_then_lock_even_the_right_password(
    client: Client, alice: User, settings, caplog
) -> None:
    settings.MAMORI_LOGIN_SLOWDOWN_AFTER = 3
    settings.MAMORI_LOGIN_LOCK_AFTER = 6
    settings.MAMORI_LOGIN_LOCK_SECONDS = 600
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(3):
            assert post_password(client, "alice", "wrong").status_code == 400
        # slowed down: an immediate try is refused before the password is even checked
        refused = post_password(client, "alice", PASSWORD)
        assert refused.status_code == 400
        assert "秒待ってから" in refused.content.decode()
        assert LoginAttempt.objects.filter(outcome="throttled").count() == 1
        for _ in range(3):
            clock.shift(timedelta(seconds=60))
            post_password(client, "alice", "wrong")
        clock.shift(timedelta(seconds=60))
        with caplog.at_level(logging.WARNING, logger="mamori.accounts.signin"):
            locked = post_password(client, "alice", PASSWORD)
        assert locked.status_code == 400
        assert "ロックされています" in locked.content.decode()
        assert LoginAttempt.objects.filter(outcome="locked").count() == 1
        assert any("locked" in record.getMessage() for record in caplog.records)
        clock.shift(timedelta(seconds=601))
        assert post_password(client, "alice", PASSWORD).status_code == 302


def test_totp_failures_count_towards_the_lock(client: Client, alice: User, settings) -> None:
    settings.MAMORI_LOGIN_SLOWDOWN_AFTER = 50
    settings.MAMORI_LOGIN_LOCK_AFTER = 3
    post_password(client, "alice", PASSWORD)
    for _ in range(3):
        client.post("/accounts/login/code/", {"code": "000000"})
    response = client.post("/accounts/login/code/", {"code": totp_for(alice).now()})
    assert response.status_code == 400
    assert "ロックされています" in response.content.decode()


def test_unlock_command_lifts_a_lock(client: Client, alice: User, settings) -> None:
    from django.core.management import call_command

    settings.MAMORI_LOGIN_SLOWDOWN_AFTER = 50
    settings.MAMORI_LOGIN_LOCK_AFTER = 2
    post_password(client, "alice", "wrong")
    post_password(client, "alice", "wrong")
    assert post_password(client, "alice", PASSWORD).status_code == 400
    call_command("unlock", "alice")
    assert post_password(client, "alice", PASSWORD).status_code == 302


def test_failures_from_one_address_do_not_lock_the_person_out_from_another(
    alice: User, settings
) -> None:
    settings.MAMORI_LOGIN_SLOWDOWN_AFTER = 50
    settings.MAMORI_LOGIN_LOCK_AFTER = 3
    attacker, office = Client(REMOTE_ADDR="203.0.113.9"), Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(3):
        post_password(attacker, "alice", "wrong")
    assert "ロックされています" in post_password(attacker, "alice", PASSWORD).content.decode()
    assert post_password(office, "alice", PASSWORD).status_code == 302
    failures = LoginAttempt.objects.filter(username="alice", outcome="failure")
    assert set(failures.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    assert failures.count() == 3


def test_one_address_trying_name_after_name_is_locked_for_every_name(alice: User, settings) -> None:
    settings.MAMORI_LOGIN_SLOWDOWN_AFTER = 50
    settings.MAMORI_LOGIN_LOCK_AFTER = 10
    settings.MAMORI_LOGIN_SOURCE_LOCK_AFTER = 5
    attacker, office = Client(REMOTE_ADDR="203.0.113.9"), Client(REMOTE_ADDR="198.51.100.7")
    for name in ("ciso", "sgm", "board", "root", "admin"):
        assert post_password(attacker, name, "guess").status_code == 400
    locked = post_password(attacker, "alice", PASSWORD)
    assert locked.status_code == 400 and "ロックされています" in locked.content.decode()
    assert post_password(office, "alice", PASSWORD).status_code == 302
    assert LoginAttempt.objects.filter(ip_address="203.0.113.9").count() == 6


def test_failures_spread_over_more_than_the_lock_time_do_not_lock_an_address(
    alice: User, settings
) -> None:
    settings.MAMORI_LOGIN_SLOWDOWN_AFTER = 50
    settings.MAMORI_LOGIN_SOURCE_LOCK_AFTER = 3
    settings.MAMORI_LOGIN_LOCK_SECONDS = 600
    office = Client(REMOTE_ADDR="198.51.100.7")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for name in ("bob", "carol", "dave", "erin"):
            post_password(office, name, "typo")
            clock.shift(timedelta(seconds=601))
        assert post_password(office, "alice", PASSWORD).status_code == 302


def test_a_recovery_code_signs_in_once(client: Client, alice: User) -> None:
    from mamori.accounts.services import mfa

    codes = mfa.new_recovery_codes(alice)
    post_password(client, "alice", PASSWORD)
    assert client.post("/accounts/login/code/", {"code": codes[0]}).status_code == 302
    other = Client()
    post_password(other, "alice", PASSWORD)
    assert other.post("/accounts/login/code/", {"code": codes[0]}).status_code == 400
    assert other.post("/accounts/login/code/", {"code": codes[1].upper()}).status_code == 302


def test_secrets_are_not_stored_in_the_clear(alice: User) -> None:
    from mamori.accounts.services import mfa

    codes = mfa.new_recovery_codes(alice)
    stored = list(RecoveryCode.objects.values_list("digest", flat=True))
    assert all(code.replace("-", "") not in stored for code in codes)
    assert all(len(digest) == 64 for digest in stored)
    device = TotpDevice.objects.get(user=alice)
    assert totp_for(alice).secret not in device.secret_encrypted
    assert User.objects.get(pk=alice.pk).password.startswith("argon2")


def test_first_sign_in_enrols_an_authenticator_and_shows_recovery_codes_once(
    client: Client,
) -> None:
    make_user("newcomer", enrolled=False)
    response = post_password(client, "newcomer", PASSWORD)
    assert response["Location"] == "/accounts/login/enrol/"
    page = client.get("/accounts/login/enrol/").content.decode()
    assert "<svg" in page
    secret = page.split('id="totp-secret">')[1].split("<")[0].strip()
    wrong = client.post("/accounts/login/enrol/", {"code": "123456"})
    assert wrong.status_code in (200, 400)
    confirmed = client.post("/accounts/login/enrol/", {"code": pyotp.TOTP(secret).now()})
    assert confirmed["Location"] == "/accounts/security/recovery-codes/"
    shown = client.get("/accounts/security/recovery-codes/").content.decode()
    assert shown.count("<li>") >= 10
    again = client.get("/accounts/security/recovery-codes/")
    assert again.status_code == 302  # shown once
    assert client.get("/").status_code == 200


def test_a_session_without_the_second_factor_is_ended(client: Client, alice: User) -> None:
    client.force_login(alice)  # signed in by some path that skipped MFA
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_an_idle_session_expires(alice_client: Client, settings) -> None:
    assert settings.SESSION_SAVE_EVERY_REQUEST
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 30)):
        assert alice_client.get("/").status_code == 200  # activity pushes the expiry forward
    idle = timezone.now() + timedelta(seconds=2 * settings.SESSION_COOKIE_AGE + 5)
    with time_machine.travel(idle):
        assert alice_client.get("/").status_code == 302


def test_sign_out_ends_the_session_and_is_recorded(alice_client: Client, alice: User) -> None:
    assert alice_client.post("/accounts/logout/").status_code == 302
    assert alice_client.get("/").status_code == 302
    assert LoginAttempt.objects.filter(user=alice, stage="logout").exists()


def test_a_missing_csrf_token_is_refused_and_changes_nothing(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert not LoginAttempt.objects.exists()


def test_a_person_changes_their_password_from_my_security_and_stays_signed_in(
    alice_client: Client, alice: User
) -> None:
    from mamori.auditlog.models import Entry

    assert (
        'href="/accounts/security/password/"'
        in alice_client.get("/accounts/security/").content.decode()
    )
    with time_machine.travel(timezone.now() + timedelta(seconds=60)):
        elsewhere = Client()
        sign_in(elsewhere, alice)  # another session of hers, on another device
    new = "a new and long passphrase 7"
    page = "/accounts/security/password/"
    wrong = alice_client.post(
        page, {"current_password": "guess", "new_password1": new, "new_password2": new}
    )
    assert (
        wrong.status_code == 400 and "現在のパスワードが正しくありません" in wrong.content.decode()
    )
    assert LoginAttempt.objects.filter(reason="wrong current password").count() == 1
    short = alice_client.post(
        page, {"current_password": PASSWORD, "new_password1": "short", "new_password2": "short"}
    )
    assert short.status_code == 400 and "短すぎ" in short.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    changed = alice_client.post(
        page, {"current_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert changed.status_code == 302 and changed["Location"] == "/accounts/security/"
    alice.refresh_from_db()
    assert alice.check_password(new)
    assert alice_client.get("/accounts/security/").status_code == 200  # still signed in here
    assert elsewhere.get("/accounts/security/").status_code == 302  # signed out there
    entry = Entry.objects.get(action="account.password_change")
    assert entry.object_type == "accounts.user" and entry.object_id == str(alice.pk)
    assert "alice" in entry.actor
