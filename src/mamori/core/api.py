"""The JSON API at ``/api/``: authentication, scopes, one error body, pagination.

Every error answers ``{"code": ..., "message": ..., "fields": [{"field": ..., "message": ...}]}``:
a module's refusal (:class:`mamori.core.errors.Refused`) with its own code and status, through
one handler. Each operation declares the refusals it can give (:func:`refusals`); the document
adds 401 and 403 to every operation that authenticates.
Machine clients send ``Authorization: Bearer <token>``; a missing, unknown, expired or revoked
token gets the same 401, so the answer never tells which. A valid token without the scope an
endpoint needs gets 403 naming the scope. Signed-in staff use the same endpoints through their
session when their roles grant the permission the scope stands for (see ``mamori.core.scopes``);
every endpoint declares that permission, sessions and tokens are checked against it alike.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.pagination import PageNumberPagination
from ninja.security import APIKeyCookie, HttpBearer

import mamori
from mamori.core.api_parser import RefusingParser
from mamori.core.errors import Refused
from mamori.core.limits import FORM_LIMIT, too_large
from mamori.core.scopes import SIGNED_IN, permission_for

if TYPE_CHECKING:
    from mamori.accounts.models import User

__all__ = [
    "ErrorBody",
    "Pagination",
    "PermissionMissing",
    "ScopeMissing",
    "StaffSession",
    "TokenAuth",
    "acting_person",
    "api",
    "authenticated",
    "declared_permission",
    "explain_pattern",
    "people_only",
    "refusals",
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


def refusals(*statuses: int) -> dict[int, type[ErrorBody]]:
    """Return the error answers an endpoint declares, ``{status: ErrorBody}`` for each of
    ``statuses`` (422 when none is named): ``response={200: Out, **refusals(422, 404)}``."""
    return {status: ErrorBody for status in statuses or (422,)}


class ScopeMissing(Exception):
    """A valid token lacks the scope the endpoint requires."""

    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


class PermissionMissing(Exception):
    """The person acting (signed in, or who issued the token) lacks the permission needed."""

    def __init__(self, permission: str, through_token: bool = False) -> None:
        super().__init__(permission)
        self.permission = permission
        self.through_token = through_token


class PersonRequired(Exception):
    """The endpoint records the person who acts; a token no person issued cannot use it."""


class TokenAuth(HttpBearer):
    """Bearer token authentication requiring ``scope`` (``None``: any usable token).

    A token acts with its scopes *and* its issuer's current permissions: when the person who
    issued it no longer holds the scope's permission, the token is refused too. A token issued
    from the command line has no issuer: it is the installation's own service and its scopes
    are all it has.
    """

    def __init__(self, scope: str | None, *, person_required: bool = False) -> None:
        super().__init__()
        self.scope = scope
        self.person_required = person_required

    @property
    def permission(self) -> str:
        """Return the permission this endpoint needs (``signed_in`` for any usable token)."""
        return SIGNED_IN if self.scope is None else permission_for(self.scope)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        """Return the token if usable; raise :class:`ScopeMissing` if it lacks the scope and
        :class:`PermissionMissing` if its issuer no longer holds the permission."""
        from mamori.accounts.services import tokens

        found = tokens.authenticate(token)
        if found is None:
            return None
        if self.scope is not None and self.scope not in found.scopes:
            raise ScopeMissing(self.scope)
        if found.created_by_id is None and self.person_required:
            raise PersonRequired()
        if found.created_by_id is not None:
            from mamori.accounts.models import User
            from mamori.accounts.services.roles import has_permission

            # the issuer as the database has them now (deactivated, no longer administrator),
            # not as the token cache last saw them
            issuer = User.objects.filter(pk=found.created_by_id).first()
            if not has_permission(issuer, self.permission):
                raise PermissionMissing(self.permission, through_token=True)
        from mamori.auditlog.context import set_actor

        set_actor(f"token:{found.prefix}")
        return found


class StaffSession(APIKeyCookie):
    """A signed-in, MFA-verified staff session (CSRF-checked for unsafe methods) whose roles
    grant ``permission`` — or the permission of ``scope``, the same check a token passes."""

    param_name = "mamori_session"

    def __init__(self, permission: str | None = None, *, scope: str | None = None) -> None:
        super().__init__()
        if (permission is None) == (scope is None):
            raise ValueError("a session check names a permission or a scope, one of the two")
        self._permission = permission
        self.scope = scope

    @property
    def permission(self) -> str:
        """Return the permission this endpoint needs."""
        return self._permission or permission_for(self.scope or "")

    def _get_key(self, request: HttpRequest) -> str | None:
        """Return the session cookie; without one there is no session to protect from
        cross-site requests, so a token client with a bad token gets 401, not a CSRF 403."""
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        """Return the user of a verified session whose roles grant the permission; raise
        :class:`PermissionMissing` for a verified session without it; None without one."""
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not request.session.get("mfa_verified"):
            return None
        from mamori.accounts.services.roles import has_permission

        if not has_permission(user, self.permission):
            raise PermissionMissing(self.permission)
        return user


def authenticated(scope: str | None, *, person_required: bool = False) -> list[Any]:
    """Return the ``auth=`` list of an endpoint open to a token with ``scope`` (whose issuer
    still holds its permission) and to a person whose roles grant that permission. With
    ``person_required`` the endpoint records who acts: a token no person issued is refused."""
    if scope is None:
        return [TokenAuth(None, person_required=person_required), StaffSession(SIGNED_IN)]
    return [TokenAuth(scope, person_required=person_required), StaffSession(scope=scope)]


def people_only(permission: str) -> list[Any]:
    """Return the ``auth=`` list of an endpoint only a signed-in person may use (a decision,
    a sign-off): their roles must grant ``permission``; tokens are refused."""
    return [StaffSession(permission)]


def declared_permission(auth: Any) -> str | None:
    """Return the permission an ``auth=`` entry checks (None for one that declares none)."""
    return getattr(auth, "permission", None)


#: The last page anyone may ask for: beyond it an offset no database holds (a page of
#: 10^23 made SQLite refuse the query, answered 500, before this bound).
MAX_PAGE = 1_000_000


class Pagination(PageNumberPagination):
    """Page-number pagination: ``?page=1&page_size=50`` (a larger page size is served as 200;
    the page at most :data:`MAX_PAGE`)."""

    class Input(Schema):
        """The page asked for, bounded."""

        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=50, max_page_size=200, **kwargs)


class _Api(NinjaAPI):
    """The API whose document says, for every operation that authenticates, that it can
    answer 401 (no usable credentials) and 403 (a scope or permission missing) with the error
    body: declared once here rather than on each of them."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """Return the OpenAPI document, with the answers every authenticated operation gives."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                if not operation.get("security"):
                    continue
                answers = operation["responses"]
                for status, said in ((401, "Unauthorized"), (403, "Forbidden")):
                    if status not in answers and str(status) not in answers:
                        answers[status] = {"description": said, "content": error}
        return schema


api = _Api(
    title="mamori API",
    version=mamori.__version__,
    description=(
        "Machine interface of mamori. Authenticate with `Authorization: Bearer <token>`; "
        "tokens are issued by an administrator with the scopes they need."
    ),
    urls_namespace="api",
    parser=RefusingParser(),
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


@api.exception_handler(PermissionMissing)
def _permission_missing(request: HttpRequest, exc: PermissionMissing) -> HttpResponse:
    if exc.through_token:
        message = _(
            "The person who issued this token no longer holds the permission %(permission)s."
        )
    else:
        message = _("Your roles do not grant the permission %(permission)s.")
    return _error(request, 403, "forbidden", message % {"permission": exc.permission})


@api.exception_handler(PersonRequired)
def _person_required(request: HttpRequest, exc: PersonRequired) -> HttpResponse:
    return _error(
        request,
        403,
        "person_required",
        _(
            "This endpoint records who acts: use a token issued by a person who holds the "
            "permission, not a service token."
        ),
    )


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    body, _kind = too_large(request.path, FORM_LIMIT)
    return api.create_response(request, json.loads(body), status=413)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(Refused)
def _refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    """Answer a domain refusal: its code, its message, its fields, its status."""
    return api.create_response(request, exc.body(), status=exc.status)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, Refused):  # the parser refused the body (a NUL in it)
        return _refused(request, exc.__cause__)
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
        if auth.created_by is not None and not has_permission(auth.created_by, permission):
            raise PermissionMissing(permission, through_token=True)
        return auth.created_by
    if isinstance(auth, User) and has_permission(auth, permission):
        return auth
    raise PermissionMissing(permission)
