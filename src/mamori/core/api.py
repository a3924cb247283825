"""The JSON API at ``/api/``: authentication, scopes, one error body, pagination.

Every error answers ``{"code": ..., "message": ..., "fields": [{"field": ..., "message": ...}]}``.
Machine clients send ``Authorization: Bearer <token>``; a missing, unknown, expired or revoked
token gets the same 401, so the answer never tells which. A valid token without the scope an
endpoint needs gets 403 naming the scope. Signed-in staff may also read through their session.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import PageNumberPagination
from ninja.security import APIKeyCookie, HttpBearer

import mamori

if TYPE_CHECKING:
    from mamori.accounts.models import User

__all__ = [
    "ErrorBody",
    "Pagination",
    "ScopeMissing",
    "StaffSession",
    "TokenAuth",
    "api",
    "authenticated",
    "explain_pattern",
]

log = logging.getLogger("mamori.api")

#: What a field's pattern asks for, in words, by pattern: said instead of the pattern itself
#: when a value does not match it (``explain_pattern``).
_PATTERN_MEANINGS: dict[str, Any] = {}


def explain_pattern(pattern: str, meaning: Any) -> str:
    """Register what ``pattern`` asks for (a lazily translated sentence) and return the
    pattern, so that a field declared with it is refused in those words."""
    _PATTERN_MEANINGS[pattern] = meaning
    return pattern


class FieldError(Schema):
    """One invalid field."""

    field: str
    message: str


class ErrorBody(Schema):
    """The body of every error answer."""

    code: str
    message: str
    fields: list[FieldError] = []


class ScopeMissing(Exception):
    """A valid token lacks the scope the endpoint requires."""

    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


class TokenAuth(HttpBearer):
    """Bearer token authentication requiring ``scope`` (``None``: any usable token)."""

    def __init__(self, scope: str | None) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        """Return the token if usable; raise :class:`ScopeMissing` if it lacks the scope."""
        from mamori.accounts.services import tokens

        found = tokens.authenticate(token)
        if found is None:
            return None
        if self.scope is not None and self.scope not in found.scopes:
            raise ScopeMissing(self.scope)
        from mamori.auditlog.context import set_actor

        set_actor(f"token:{found.prefix}")
        return found


class StaffSession(APIKeyCookie):
    """A signed-in, MFA-verified staff session (CSRF-checked for unsafe methods)."""

    param_name = "mamori_session"

    def _get_key(self, request: HttpRequest) -> str | None:
        """Return the session cookie; without one there is no session to protect from
        cross-site requests, so a token client with a bad token gets 401, not a CSRF 403."""
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        """Return the user of a verified session, else None."""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.session.get("mfa_verified"):
            return user
        return None


def authenticated(scope: str | None) -> list[Any]:
    """Return the ``auth=`` list of an endpoint that needs ``scope`` (token) or staff session."""
    return [TokenAuth(scope), StaffSession()]


class Pagination(PageNumberPagination):
    """Page-number pagination: ``?page=1&page_size=50`` (at most 200 per page)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=50, max_page_size=200, **kwargs)


api = NinjaAPI(
    title="mamori API",
    version=mamori.__version__,
    description=(
        "Machine interface of mamori. Authenticate with `Authorization: Bearer <token>`; "
        "tokens are issued by an administrator with the scopes they need."
    ),
    urls_namespace="api",
)


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: list[dict[str, str]] | None = None,
) -> HttpResponse:
    body = {"code": code, "message": message, "fields": fields or []}
    response = api.create_response(request, body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = []
    for error in exc.errors:
        location = ".".join(str(part) for part in error.get("loc", ()))
        message = error.get("msg", "invalid")
        if error.get("type") == "string_pattern_mismatch":
            pattern = str((error.get("ctx") or {}).get("pattern", ""))
            message = _PATTERN_MEANINGS.get(pattern, message)
        fields.append({"field": location, "message": str(message)})
    return _error(request, 422, "invalid", _("The request is not valid."), fields)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(
        request, 401, "unauthenticated", _("Missing, invalid, expired or revoked credentials.")
    )


@api.exception_handler(ScopeMissing)
def _forbidden(request: HttpRequest, exc: ScopeMissing) -> HttpResponse:
    return _error(
        request,
        403,
        "forbidden",
        _("This token does not have the scope %(scope)s.") % {"scope": exc.scope},
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 409: "conflict"}
    return _error(request, exc.status_code, codes.get(exc.status_code, "error"), exc.message)


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("unhandled API error on %s %s", request.method, request.path)
    return _error(request, 500, "server_error", _("Internal error; it has been logged."))


class Health(Schema):
    """Liveness of the service."""

    status: str
    version: str


@api.get("/health", response=Health, auth=None, tags=["platform"])
def health(request: HttpRequest) -> dict[str, str]:
    """Answer that the service is up (no authentication)."""
    return {"status": "ok", "version": mamori.__version__}


class PlatformInfo(Schema):
    """What this mamori installation runs."""

    version: str
    modules: list[str]
    languages: list[str]
    time_zone: str
    database: str


@api.get("/platform", response=PlatformInfo, auth=authenticated("platform:read"), tags=["platform"])
def platform_info(request: HttpRequest) -> dict[str, Any]:
    """Describe the installation: version, modules, languages, database vendor."""
    from django.apps import apps
    from django.conf import settings
    from django.db import connection

    return {
        "version": mamori.__version__,
        "modules": sorted(
            config.label for config in apps.get_app_configs() if config.name.startswith("mamori.")
        ),
        "languages": [code for code, _name in settings.LANGUAGES],
        "time_zone": settings.TIME_ZONE,
        "database": connection.vendor,
    }


def acting_person(request: HttpRequest, permission: str) -> User | None:
    """Return who acts: the signed-in person, if their roles grant ``permission``, or the
    person who issued the token (None for a token issued from the command line)."""
    from mamori.accounts.models import ApiToken, User
    from mamori.accounts.services.roles import has_permission

    auth = request.auth  # type: ignore[attr-defined]
    if isinstance(auth, ApiToken):
        return auth.created_by
    if isinstance(auth, User) and has_permission(auth, permission):
        return auth
    raise HttpError(403, f"your roles do not grant {permission}")
