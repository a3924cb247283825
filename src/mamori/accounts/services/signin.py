"""The two sign-in steps — password, then authenticator or recovery code (ISM 23-1-1).

Every attempt, refused or not, is written to :class:`LoginAttempt` and the log. Messages
shown to the person never say whether the user name exists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mamori.accounts.models import LoginAttempt, User
from mamori.accounts.services import mfa, throttle

__all__ = [
    "StepResult",
    "client_ip",
    "confirm_password",
    "invitation_step",
    "password_step",
    "record_logout",
    "second_step",
    "second_step_enrolled",
]

log = logging.getLogger("mamori.accounts.signin")
Stage = LoginAttempt.Stage
Outcome = LoginAttempt.Outcome


@dataclass(frozen=True)
class StepResult:
    """The outcome of one step: the user on success, else the message to show."""

    user: User | None
    error: str = ""


def client_ip(request: HttpRequest) -> str | None:
    """Return the peer address of ``request``."""
    return request.META.get("REMOTE_ADDR") or None


def _record(
    request: HttpRequest,
    username: str,
    user: User | None,
    stage: str,
    outcome: str,
    reason: str = "",
) -> None:
    ip = client_ip(request)
    _name_actor(username, user)
    LoginAttempt.objects.create(
        username=username[:150],
        user=user,
        ip_address=ip,
        stage=stage,
        outcome=outcome,
        reason=reason,
    )
    level = logging.INFO if outcome == Outcome.SUCCESS else logging.WARNING
    log.log(level, "sign-in %s %s for %r from %s %s", stage, outcome, username, ip, reason)


def _name_actor(username: str, user: User | None) -> None:
    """Record the rest of this request under the person signing in (``user:…``) or, before
    they are known, the user name tried (``anonymous:…``; never a password or a code)."""
    from mamori.auditlog.context import current, set_actor

    if not current().actor.startswith("anonymous"):
        return  # a signed-in person confirming their password stays who they are
    if user is not None:
        set_actor(f"user:{user.username}")
    else:
        tried = "".join(ch for ch in username if ch.isprintable() and not ch.isspace())
        set_actor(f"anonymous:{tried[:150]}")


def _refused(request: HttpRequest, username: str, stage: str) -> StepResult | None:
    refusal = throttle.check(username, client_ip(request))
    if refusal is None:
        return None
    if refusal.locked:
        _record(request, username, None, stage, Outcome.LOCKED, "account locked")
        minutes = max(1, refusal.retry_after_seconds // 60)
        return StepResult(
            None,
            ngettext(
                "Too many failed attempts: sign-in is locked. Try again in %(n)d minute "
                "or ask an administrator to unlock it.",
                "Too many failed attempts: sign-in is locked. Try again in %(n)d minutes "
                "or ask an administrator to unlock it.",
                minutes,
            )
            % {"n": minutes},
        )
    _record(request, username, None, stage, Outcome.THROTTLED, "too soon after a failure")
    seconds = refusal.retry_after_seconds
    return StepResult(
        None,
        ngettext(
            "Too many failed attempts. Wait %(n)d second before trying again.",
            "Too many failed attempts. Wait %(n)d seconds before trying again.",
            seconds,
        )
        % {"n": seconds},
    )


def _fail(request: HttpRequest, username: str, user: User | None, stage: str, why: str) -> None:
    _record(request, username, user, stage, Outcome.FAILURE, why)
    throttle.record_failure(username, client_ip(request))


def password_step(request: HttpRequest, username: str, password: str) -> StepResult:
    """Check the password; success means only that the second step may begin."""
    refused = _refused(request, username, Stage.PASSWORD)
    if refused:
        return refused
    user = authenticate(request, username=username, password=password)
    if not isinstance(user, User):
        _fail(request, username, None, Stage.PASSWORD, "wrong user name or password")
        return StepResult(None, _("The user name or password is not correct."))
    _record(request, username, user, Stage.PASSWORD, Outcome.SUCCESS)
    return StepResult(user)


def confirm_password(request: HttpRequest, user: User, password: str) -> StepResult:
    """Check the signed-in person's current password again (before it is changed); a wrong
    one is recorded and counted like a failed sign-in, so the page cannot be used to guess."""
    refused = _refused(request, user.username, Stage.PASSWORD)
    if refused:
        return refused
    if not user.check_password(password):
        _fail(request, user.username, user, Stage.PASSWORD, "wrong current password")
        return StepResult(None, _("The current password is not correct."))
    return StepResult(user)


def invitation_step(request: HttpRequest, username: str, code: str) -> tuple[object, str]:
    """Check an invitation code like a password: refused codes are counted and slowed down,
    and the message never says whether the user name exists. Returns the invitation or the
    message to show."""
    from mamori.accounts.services import people

    refused = _refused(request, username, Stage.PASSWORD)
    if refused:
        return None, refused.error
    invitation = people.find_invitation(username, code)
    if invitation is None:
        _fail(request, username, None, Stage.PASSWORD, "wrong, used or expired invitation code")
        return None, _("The user name or invitation code is not correct, or the code has expired.")
    _record(request, username, invitation.user, Stage.PASSWORD, Outcome.SUCCESS, "invitation")
    return invitation, ""


def second_step(request: HttpRequest, user: User, code: str) -> StepResult:
    """Check an authenticator code (6 digits) or a recovery code (xxxxx-xxxxx)."""
    username = user.username
    is_recovery = "-" in code or len(code.strip()) == 10
    stage = Stage.RECOVERY if is_recovery else Stage.TOTP
    refused = _refused(request, username, stage)
    if refused:
        return refused
    ok = mfa.consume_recovery_code(user, code) if is_recovery else mfa.verify_totp(user, code)
    if not ok:
        _fail(request, username, user, stage, "wrong, used or expired code")
        return StepResult(
            None, _("The code is not correct or was already used. Enter the current code.")
        )
    throttle.reset(username, client_ip(request))
    _record(request, username, user, stage, Outcome.SUCCESS)
    return StepResult(user)


def second_step_enrolled(request: HttpRequest, user: User) -> None:
    """Record a sign-in completed by confirming a new authenticator."""
    throttle.reset(user.username, client_ip(request))
    _record(request, user.username, user, Stage.TOTP, Outcome.SUCCESS, "authenticator enrolled")


def record_logout(request: HttpRequest, user: User) -> None:
    """Record a sign-out."""
    _record(request, user.username, user, Stage.LOGOUT, Outcome.SUCCESS)
