"""Fixtures shared by the test suite: people with enrolled authenticators, signed-in clients."""

from __future__ import annotations

import functools

import pyotp
import pytest
from django.test import Client

from mamori.accounts.models import TotpDevice, User
from mamori.accounts.services import mfa

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
