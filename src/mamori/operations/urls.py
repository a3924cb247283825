"""URLs of the incident pages (SRM 6-1-3, 7-3, 9; ISM 8-1-3, 9-3)."""

from django.urls import path

from mamori.operations import views, views_admin, views_settings
from mamori.operations.urls_bcp import urlpatterns as plans_drills_reviews_csirt
from mamori.operations.urls_changes import urlpatterns as systems_plans_changes
from mamori.operations.urls_cmdb import urlpatterns as cmdb
from mamori.operations.urls_cmdb_import import urlpatterns as cmdb_imports
from mamori.operations.urls_gate import urlpatterns as quality_and_gate
from mamori.operations.urls_maintenance import urlpatterns as maintenance
from mamori.operations.urls_monitoring import urlpatterns as monitoring
from mamori.operations.urls_status import urlpatterns as operating_status

app_name = "operations"

urlpatterns = [
    *cmdb,
    *quality_and_gate,
    path("incidents/", views.incidents_view, name="incidents"),
    path("incidents/report/", views.report_view, name="report"),
    path("incidents/<str:reference>/", views.incident_view, name="incident"),
    path(
        "incidents/<str:reference>/<slug:action>/",
        views.incident_action_view,
        name="incident_action",
    ),
    path("settings/", views_settings.settings_view, name="settings"),
    path("severity-rules/", views_admin.rules_view, name="rules"),
    path("severity-rules/add/", views_admin.rule_add_view, name="rule_add"),
    path("severity-rules/<int:pk>/delete/", views_admin.rule_delete_view, name="rule_delete"),
    path("alert-sources/", views_admin.sources_view, name="sources"),
    path(
        "alert-sources/<int:pk>/disable/",
        views_admin.source_disable_view,
        name="source_disable",
    ),
    *plans_drills_reviews_csirt,
    *maintenance,
    *monitoring,
    *systems_plans_changes,
    *operating_status,
    *cmdb_imports,
]
