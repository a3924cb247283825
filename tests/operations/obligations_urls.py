"""The URL configuration of the obligations tests: mamori's own, with the obligations pages under
``/operations/`` and their API under ``/api-obl/operations`` (the lead mounts both in
``mamori.urls``; until then the tests mount them here)."""

from django.urls import include, path

from mamori.core.api import _Api, api
from mamori.operations.api_obligations import router
from mamori.urls import urlpatterns as mamori_urls

obligations_api = _Api(title="obligations", version="0", urls_namespace="obl_api")
obligations_api._exception_handlers = dict(api._exception_handlers)
obligations_api.add_router("/operations", router)

urlpatterns = [
    *mamori_urls,
    path("operations/", include("mamori.operations.urls_obligations")),
    path("api-obl/", obligations_api.urls),
]
