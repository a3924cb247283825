"""Root URL configuration."""

from django.urls import include, path

from mamori.accounts.api import router as accounts_router
from mamori.accounts.api_approvals import router as approvals_router
from mamori.core.api import api
from mamori.core.api_inbox import router as inbox_router
from mamori.custody.api import router as custody_router
from mamori.guard.api import router as guard_router
from mamori.keys.api import router as keys_router
from mamori.keys.api_presign import router as presign_router
from mamori.notifications.api import router as notifications_router
from mamori.operations.api import router as operations_router
from mamori.operations.api_changes import router as systems_router
from mamori.operations.api_cmdb import router as cmdb_router
from mamori.operations.api_cmdb_import import router as cmdb_import_router
from mamori.operations.api_evidence import router as evidence_router
from mamori.operations.api_gate import changes_router as gate_router
from mamori.operations.api_gate import quality_router
from mamori.operations.api_maintenance import router as maintenance_router
from mamori.operations.api_monitoring import router as monitoring_router
from mamori.operations.api_obligations import router as obligations_router
from mamori.operations.views_health import healthz_view, metrics_view, readyz_view
from mamori.reconciliation.api import router as reconciliation_router
from mamori.risk.api import router as risk_router
from mamori.rulebook.api import router as rulebook_router
from mamori.rulebook.views.policies import public_policy_view

api.add_router("/accounts", accounts_router)
api.add_router("/approvals", approvals_router)
api.add_router("/notifications", notifications_router)
api.add_router("/rulebook", rulebook_router)
api.add_router("/custody", custody_router)
api.add_router("/reconciliation", reconciliation_router)
api.add_router("/risk", risk_router)
api.add_router("", inbox_router)
api.add_router("/keys", keys_router)
api.add_router("/keys", presign_router)
api.add_router("/guard", guard_router)
api.add_router("/operations", operations_router)
api.add_router("/operations", obligations_router)
api.add_router("/operations", cmdb_import_router)
api.add_router("/operations", quality_router)
api.add_router("/changes", gate_router)
api.add_router("/changes", evidence_router)
api.add_router("/operations", maintenance_router)
api.add_router("/operations", monitoring_router)
api.add_router("", systems_router)
api.add_router("/operations", cmdb_router)

urlpatterns = [
    path("", include("mamori.core.urls")),
    path("accounts/", include("mamori.accounts.urls")),
    path("notifications/", include("mamori.notifications.urls")),
    path("scheduler/", include("mamori.scheduler.urls")),
    path("exports/", include("mamori.scheduler.exportjobs.urls")),
    path("audit/", include("mamori.auditlog.urls")),
    path("rulebook/", include("mamori.rulebook.urls")),
    path("custody/", include("mamori.custody.urls")),
    path("reconciliation/", include("mamori.reconciliation.urls")),
    path("risk/", include("mamori.risk.urls")),
    path("keys/", include("mamori.keys.urls")),
    path("guard/", include("mamori.guard.urls")),
    path("status/", include("mamori.guard.urls_public")),
    # the reports' patterns first: /operations/incidents/<pk>/obligations/ is theirs
    path("operations/", include("mamori.operations.urls_obligations")),
    path("operations/", include("mamori.operations.urls")),
    path("public/policies/<slug:code>/", public_policy_view, name="public_policy"),
    path(
        "public/policies/<slug:code>/v/<int:number>/",
        public_policy_view,
        name="public_policy_version",
    ),
    path("api/", api.urls),
    path("metrics", metrics_view, name="metrics"),
    path("healthz", healthz_view, name="healthz"),
    path("readyz", readyz_view, name="readyz"),
]
