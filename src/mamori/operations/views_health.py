"""mamori's own health endpoints: ``/metrics`` (Prometheus), ``/healthz`` (the process is up;
no database) and ``/readyz`` (database reachable, migrations applied, scheduler heartbeat fresh).

``/metrics`` is not public by default: it answers a bearer token with the scope
``metrics:read``, or a signed-in person holding ``scheduler.view``; only with the setting
``MAMORI_METRICS_ALLOW_LOCALHOST = True`` does it answer an unauthenticated caller from the
loopback address (a scraper on the same host). Anyone else gets 403.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import public
from mamori.operations.metrics_health import registry

__all__ = ["METRICS_PERMISSION", "METRICS_SCOPE", "healthz_view", "metrics_view", "readyz_view"]

METRICS_SCOPE = "metrics:read"
METRICS_PERMISSION = "scheduler.view"
LOOPBACK = ("127.0.0.1", "::1")


def _token_allowed(request: HttpRequest) -> bool:
    from mamori.core.api import PermissionMissing, ScopeMissing, TokenAuth

    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return False
    try:
        return TokenAuth(METRICS_SCOPE).authenticate(request, header[7:].strip()) is not None
    except (ScopeMissing, PermissionMissing):
        return False


def _metrics_allowed(request: HttpRequest) -> bool:
    if _token_allowed(request):
        return True
    if has_permission(request.user, METRICS_PERMISSION):
        return True
    return bool(
        getattr(settings, "MAMORI_METRICS_ALLOW_LOCALHOST", False)
        and request.META.get("REMOTE_ADDR") in LOOPBACK
        and "HTTP_X_FORWARDED_FOR" not in request.META
    )


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """mamori's health in Prometheus' text format, read from the database now."""
    if not _metrics_allowed(request):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)


metrics_view.required_permission = METRICS_PERMISSION  # type: ignore[attr-defined]


@public
def healthz_view(request: HttpRequest) -> JsonResponse:
    """The process is up and answers (the database is not touched)."""
    return JsonResponse({"status": "ok"})


def _database() -> bool:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() is not None
    except Exception:
        return False


def _migrated() -> bool:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    return not executor.migration_plan(executor.loader.graph.leaf_nodes())


def _heartbeat() -> tuple[bool, float | None]:
    from mamori.scheduler.models import JobRun

    limit = int(getattr(settings, "MAMORI_READYZ_SCHEDULER_MAX_AGE", 900))
    last = (
        JobRun.objects.filter(started_at__isnull=False)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    if last is None:
        return False, None
    age = (timezone.now() - last).total_seconds()
    return age <= timedelta(seconds=limit).total_seconds(), age


@public
def readyz_view(request: HttpRequest) -> JsonResponse:
    """Ready when the database answers, every migration is applied and the scheduler ran a
    job within ``MAMORI_READYZ_SCHEDULER_MAX_AGE`` seconds (default 900); 503 otherwise."""
    checks: dict[str, object] = {"database": _database()}
    if checks["database"]:
        checks["migrations"] = _migrated()
        fresh, age = _heartbeat()
        checks["scheduler"] = fresh
        checks["scheduler_age_seconds"] = None if age is None else round(age)
    else:
        checks["migrations"] = checks["scheduler"] = False
    ready = all(checks[k] for k in ("database", "migrations", "scheduler"))
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )
