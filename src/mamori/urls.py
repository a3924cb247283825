"""Root URL configuration."""

from django.urls import include, path

from mamori.accounts.api import router as accounts_router
from mamori.core.api import api

api.add_router("/accounts", accounts_router)

urlpatterns = [
    path("", include("mamori.core.urls")),
    path("accounts/", include("mamori.accounts.urls")),
    path("api/", api.urls),
]
