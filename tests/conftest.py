"""Fixtures shared by the test suite: people with enrolled authenticators, signed-in clients."""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from django.test import Client

from mamori.accounts.models import Role, RoleAssignment, TotpDevice, User
from mamori.accounts.services import mfa
from mamori.testing.pytest_plugin import services_required
from tests.installs import installs  # noqa: F401  (the fixture, for every test)

PASSWORD = "correct horse battery staple"


def make_user(username: str, *, superuser: bool = False, enrolled: bool = True) -> User:
    """Create a staff member, with a confirmed authenticator unless ``enrolled`` is False."""
    user = User.objects.create_user(username=username, is_superuser=superuser, is_staff=True)
    user.password = _password_hash()
    user.save(update_fields=["password"])
    if enrolled:
        mfa.start_enrolment(user, secret=pyotp.random_base32())
        TotpDevice.objects.filter(user=user).update(confirmed_at=user.date_joined)
    return user


@functools.cache
def _password_hash() -> str:
    """Hash the shared test password once (Argon2 is slow on purpose)."""
    from django.contrib.auth.hashers import make_password

    return make_password(PASSWORD)


def totp_for(user: User) -> pyotp.TOTP:
    """Return the authenticator of ``user``, as their phone would compute it."""
    device = TotpDevice.objects.get(user=user)
    return pyotp.TOTP(_secret(device))


def _secret(device: TotpDevice) -> str:
    from mamori.core import crypto

    return crypto.decrypt(device.secret_encrypted)


def sign_in(client: Client, user: User) -> None:
    """Sign ``user`` in through both steps, as a person would."""
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    response = client.post("/accounts/login/code/", {"code": totp_for(user).now()})
    assert response.status_code == 302, response.content


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashing() -> Iterator[None]:
    """Hash and check passwords with Argon2 at its lowest cost during the run (see
    ``tests/hashers.py``); a hash made with the installation's parameters still verifies (an
    Argon2 hash carries its parameters)."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["tests.hashers.QuickArgon2PasswordHasher"]):
        _password_hash.cache_clear()
        yield


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    """Each test starts in the installation's language: a request made with another
    Accept-Language (or a person's own language) activates it for the thread, which would
    otherwise carry into the next test."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _custody_monitor_forgotten() -> Iterator[None]:
    """Each test starts with the custody monitor rebuilt from its own journal: the monitor
    lives in memory, while each test's journal rows are rolled back with its database, so a
    demo loaded by one test would otherwise make the next one's demo refuse its own events
    as duplicates."""
    from mamori.custody.services import monitor

    monitor.reset()
    yield
    monitor.reset()


@pytest.fixture
def english() -> Iterator[None]:
    """Run the test in English (a service's messages outside a request follow the active
    language, Japanese by default)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def alice(db: None) -> User:
    """A member of staff with an enrolled authenticator."""
    return make_user("alice")


@pytest.fixture
def admin_user(db: None) -> User:
    """A platform administrator with an enrolled authenticator."""
    return make_user("root-admin", superuser=True)


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    """A client signed in as alice."""
    sign_in(client, alice)
    return client


@pytest.fixture
def admin_client(client: Client, admin_user: User) -> Client:
    """A client signed in as the administrator."""
    sign_in(client, admin_user)
    return client


def monitored_btc(responsible: User, rules) -> object:
    """Create BTC (8 decimals, unknown addresses allowed) with ``responsible`` answering for
    it and the withdrawal thresholds ``rules`` (see :func:`withdrawal_thresholds`)."""
    from mamori.custody.models import Asset

    btc = Asset.objects.create(
        code="BTC",
        name="Bitcoin",
        chain="bitcoin",
        decimals=8,
        responsible=responsible,
        unknown_address="allow",
    )
    withdrawal_thresholds(btc, rules)
    return btc


def withdrawal_thresholds(asset, rules) -> None:
    """Give ``asset`` withdrawal thresholds, each ``(code, scope, level, base units, window
    seconds or None)``, and make them the monitor's."""
    from mamori.custody.models import ThresholdRule
    from mamori.custody.services import monitor

    for code, scope, level, units, window in rules:
        ThresholdRule.objects.create(
            code=code,
            direction="withdrawal",
            scope=scope,
            level=level,
            asset=asset,
            limit_units=units,
            window_seconds=window,
        )
    monitor.apply_thresholds()


def give(user: User, *codes: str) -> User:
    for code in codes:
        RoleAssignment.objects.create(user=user, role=Role.objects.get(code=code))
    return user


@pytest.fixture
def people(db: None) -> dict[str, User]:
    """A CISO (manager of the rulebook), a system general manager, a board member, an
    internal auditor and someone with no role."""
    return {
        "ciso": give(make_user("ciso-kim"), "ciso"),
        "sgm": give(make_user("sgm-sato"), "system_general_manager"),
        "board": give(make_user("board-ito"), "board_member"),
        "auditor": give(make_user("audit-kato"), "internal_auditor"),
        "nobody": make_user("nobody"),
    }


def client_for(user: User) -> Client:
    client = Client()
    sign_in(client, user)
    return client


CHROMIUM = os.environ.get("MAMORI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[object]:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM} (Debian package chromium)"
        if services_required():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the ORM runs beside Playwright's loop
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="ja-JP")
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            page.screenshot(path=str(tmp_path / "last.png"), full_page=True)
            context.close()
            browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(scope="session")
def server(django_db_setup: None, live_server):
    """Start the live server after the test database, so it stops before the database goes."""
    return live_server


def require_anvil() -> None:
    """Skip the test when anvil cannot be installed here (fail it where services are
    required)."""
    from mamori.testing.anvil import ToolsMissing, tools
    from mamori.testing.pytest_plugin import services_required

    try:
        tools()
    except ToolsMissing as exc:
        if services_required():
            pytest.fail(f"anvil is not available: {exc}", pytrace=False)
        pytest.skip(f"anvil is not available: {exc}")


@pytest.fixture
def anvil_node() -> Iterator[object]:
    """A real local Ethereum node (anvil from npm) with the test token deployed."""
    from mamori.testing.anvil import running_anvil

    require_anvil()
    with running_anvil() as node:
        yield node


def chart_titles(svg: str) -> str:
    """Return a chart's title and axis titles as one text (pygal wraps a long axis title
    over lines)."""
    import re

    return " ".join(re.findall(r'class="(?:plot_)?title[^"]*"[^>]*>([^<]*)<', svg))
