"""Sign-in in two steps, enrolment of the authenticator, sign-out (ISM 23-1-1)."""

from __future__ import annotations

import time

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from mamori.accounts.forms import CodeForm, LoginForm
from mamori.accounts.models import User
from mamori.accounts.services import mfa, signin
from mamori.accounts.views.access import public
from mamori.core.redirects import next_url

PENDING_SECONDS = 300
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _pending_user(request: HttpRequest) -> User | None:
    user_id = request.session.get("pending_user_id")
    started = request.session.get("pending_at", 0)
    if user_id is None or time.time() - started > PENDING_SECONDS:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def _finish(request: HttpRequest, user: User, back: str) -> HttpResponse:
    login(request, user, backend=BACKEND)
    request.session["mfa_verified"] = True
    if user.language:
        request.session["_language"] = user.language
    return redirect(back or "core:dashboard")


@public
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Check user name and password, then hand over to the second factor."""
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        result = signin.password_step(
            request, form.cleaned_data["username"], form.cleaned_data["password"]
        )
        if result.user is not None:
            request.session.cycle_key()
            request.session["pending_user_id"] = result.user.pk
            request.session["pending_at"] = time.time()
            request.session["pending_next"] = next_url(request)
            target = "accounts:mfa" if result.user.has_confirmed_totp else "accounts:enrol"
            return redirect(target)
        error = result.error
    status = 200 if not error else 400
    return render(
        request,
        "accounts/login.html",
        {"form": form, "error": error, "next": next_url(request)},
        status=status,
    )


@public
@never_cache
@require_http_methods(["GET", "POST"])
def mfa_view(request: HttpRequest) -> HttpResponse:
    """Ask for the authenticator code (or a recovery code) of the pending user."""
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    if not user.has_confirmed_totp:
        return redirect("accounts:enrol")
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        result = signin.second_step(request, user, form.cleaned_data["code"])
        if result.user is not None:
            return _finish(request, user, request.session.get("pending_next", ""))
        error = result.error
    return render(
        request, "accounts/mfa.html", {"form": form, "error": error}, status=400 if error else 200
    )


@public
@never_cache
@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator: QR code, a first code to confirm, then recovery codes."""
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    if user.has_confirmed_totp:
        return redirect("accounts:mfa")
    device = getattr(user, "totp_device", None)
    if device is None or request.method == "GET":
        device = mfa.start_enrolment(user)
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        codes = mfa.confirm_enrolment(user, form.cleaned_data["code"])
        if codes is not None:
            signin.second_step_enrolled(request, user)
            _finish(request, user, "")
            request.session["fresh_recovery_codes"] = codes
            return redirect("accounts:recovery_codes")
        error = _("The code is not correct. Check the time on your device and try again.")
    uri = mfa.provisioning_uri(device)
    from mamori.auditlog.services import record_read

    record_read(device, ["secret"], "enrolment of the authenticator")
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "error": error,
            "qr_svg": mfa.qr_svg(uri),
            "secret": mfa.enrolment_secret(device),
        },
        status=400 if error else 200,
    )


@public
@never_cache
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    """Show freshly made recovery codes once; reloading shows nothing."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    codes = request.session.pop("fresh_recovery_codes", None)
    if not codes:
        return redirect("accounts:security")
    from mamori.auditlog.services import record_read

    assert isinstance(request.user, User)
    record_read(request.user, ["recovery_codes"], "shown once after being made")
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out and record it."""
    if isinstance(request.user, User):
        signin.record_logout(request, request.user)
    logout(request)
    return redirect("accounts:login")
