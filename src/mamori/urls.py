"""Root URL configuration."""

from django.urls import include, path

from mamori.accounts.api import router as accounts_router
from mamori.accounts.api_approvals import router as approvals_router
from mamori.core.api import api
from mamori.notifications.api import router as notifications_router

api.add_router("/accounts", accounts_router)
api.add_router("/approvals", approvals_router)
api.add_router("/notifications", notifications_router)

urlpatterns = [
    path("", include("mamori.core.urls")),
    path("accounts/", include("mamori.accounts.urls")),
    path("notifications/", include("mamori.notifications.urls")),
    path("scheduler/", include("mamori.scheduler.urls")),
    path("audit/", include("mamori.auditlog.urls")),
    path("api/", api.urls),
]
