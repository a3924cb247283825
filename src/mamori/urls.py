"""Root URL configuration."""

from django.urls import include, path

from mamori.accounts.api import router as accounts_router
from mamori.accounts.api_approvals import router as approvals_router
from mamori.core.api import api

api.add_router("/accounts", accounts_router)
api.add_router("/approvals", approvals_router)

urlpatterns = [
    path("", include("mamori.core.urls")),
    path("accounts/", include("mamori.accounts.urls")),
    path("api/", api.urls),
]
