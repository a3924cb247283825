"""Account pages: security settings, API tokens, people and roles, language choice."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from mamori.accounts.forms import CodeForm, TokenForm
from mamori.accounts.lists import PeopleTable
from mamori.accounts.models import ApiToken, Department, LoginAttempt, RoleAssignment, User
from mamori.accounts.services import mfa, tokens
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required, public, signed_in_required
from mamori.core.tables import listing


@signed_in_required
@require_http_methods(["GET", "POST"])
def security_view(request: HttpRequest) -> HttpResponse:
    """Show the person's second factor and sign-in history; renew recovery codes."""
    assert isinstance(request.user, User)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.verify_totp(request.user, form.cleaned_data["code"]):
            request.session["fresh_recovery_codes"] = mfa.new_recovery_codes(request.user)
            return redirect("accounts:recovery_codes")
        messages.error(request, _("The code is not correct or was already used."))
    remaining = request.user.recovery_codes.filter(used_at__isnull=True).count()
    attempts = LoginAttempt.objects.filter(user=request.user)[:20]
    return render(
        request,
        "accounts/security.html",
        {"form": form, "remaining": remaining, "attempts": attempts},
    )


@public
@require_POST
def language_view(request: HttpRequest) -> HttpResponse:
    """Switch the language; a signed-in person keeps the choice on their account."""
    from django.conf import settings

    language = request.POST.get("language", "")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    response = redirect(next_url)
    if language not in dict(settings.LANGUAGES):
        return response
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
    )
    if isinstance(request.user, User):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


@permission_required("accounts.view")
def people_view(request: HttpRequest) -> HttpResponse:
    """List departments, their people and the roles each holds (SRM 5–7, ISM 7–9)."""
    active = RoleAssignment.objects.filter(revoked_at__isnull=True).select_related(
        "role", "department"
    )
    people = (
        User.objects.filter(is_active=True)
        .select_related("department")
        .prefetch_related(Prefetch("role_assignments", queryset=active, to_attr="active_roles"))
        .order_by("department__code", "username")
    )
    found = listing(request, people, PeopleTable)
    if isinstance(found, HttpResponse):
        return found
    return render(
        request,
        "accounts/people.html",
        {
            "people": found,
            "departments": Department.objects.all(),
            "may_manage": has_permission(request.user, "accounts.manage_people"),
        },
    )


@permission_required("accounts.manage_tokens")
@require_http_methods(["GET", "POST"])
def tokens_view(request: HttpRequest) -> HttpResponse:
    """List API tokens and issue a new one (its secret shown once)."""
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = tokens.issue(
                form.cleaned_data["name"],
                form.cleaned_data["scopes"],
                form.cleaned_data["days"],
                request.user if isinstance(request.user, User) else None,
            )
        except tokens.TokenError as exc:
            form.add_error(None, str(exc))
        else:
            from mamori.auditlog.services import record_read

            record_read(issued.token, ["secret"], "shown once at issue")
            form = TokenForm()
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "issued": issued,
            "tokens": ApiToken.objects.select_related("created_by"),
        },
        status=400 if request.method == "POST" and issued is None else 200,
    )


@permission_required("accounts.manage_tokens")
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke a token at once."""
    token = get_object_or_404(ApiToken, pk=pk)
    tokens.revoke(token, request.user if isinstance(request.user, User) else None)
    messages.success(request, _("Token %(name)s revoked.") % {"name": token.name})
    return redirect("accounts:tokens")
