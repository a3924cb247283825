"""URLs of operating-status monitoring (SRM 21-1), included in the operations app's URLs."""

from django.urls import path

from mamori.operations import views_monitoring

urlpatterns = [
    path("monitoring/", views_monitoring.services_view, name="monitored_services"),
    path("monitoring/add/", views_monitoring.service_add_view, name="monitored_service_add"),
    path("monitoring/alerts/", views_monitoring.alerts_view, name="monitoring_alerts"),
    path("monitoring/<slug:code>/", views_monitoring.service_view, name="monitored_service"),
    path(
        "monitoring/<slug:code>/edit/",
        views_monitoring.service_edit_view,
        name="monitored_service_edit",
    ),
    path(
        "monitoring/<slug:code>/<slug:what>/add/",
        views_monitoring.service_part_add_view,
        name="monitored_service_part_add",
    ),
]
