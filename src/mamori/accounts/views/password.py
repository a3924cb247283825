"""Change one's own password (My security)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mamori.accounts.forms import PasswordForm
from mamori.accounts.models import User
from mamori.accounts.services import signin
from mamori.accounts.views.access import signed_in_required
from mamori.auditlog.services import record

__all__ = ["password_view"]


@signed_in_required
@require_http_methods(["GET", "POST"])
def password_view(request: HttpRequest) -> HttpResponse:
    """Change the signed-in person's password: the current one, then the new one twice.

    The session stays signed in (its hash is renewed); other sessions of the person end. The
    change is in the audit log; a wrong current password counts as a failed sign-in."""
    user = request.user
    assert isinstance(user, User)
    form = PasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        checked = signin.confirm_password(request, user, form.cleaned_data["current_password"])
        if checked.user is None:
            form.add_error("current_password", checked.error)
        else:
            form.save()
            update_session_auth_hash(request, user)
            record("account.password_change", "accounts.user", str(user.pk))
            messages.success(request, _("Your password was changed."))
            return redirect("accounts:security")
    status = 400 if form.errors else 200
    return render(request, "accounts/password.html", {"form": form}, status=status)
