"""URLs of the maintenance calendar (SRM 13), included in the operations app's URLs."""

from django.urls import path

from mamori.operations import views_maintenance

urlpatterns = [
    path("maintenance/", views_maintenance.calendar_view, name="maintenance_calendar"),
    path("maintenance/list/", views_maintenance.list_view, name="maintenance_list"),
    path("maintenance/add/", views_maintenance.add_view, name="maintenance_add"),
    path("maintenance/rules/", views_maintenance.rules_view, name="maintenance_rules"),
    path("maintenance/calendar.ics", views_maintenance.staff_ical_view, name="maintenance_ical"),
    path("maintenance/<int:pk>/", views_maintenance.detail_view, name="maintenance"),
    path("maintenance/<int:pk>/edit/", views_maintenance.edit_view, name="maintenance_edit"),
    path(
        "maintenance/<int:pk>/<slug:what>/",
        views_maintenance.act_view,
        name="maintenance_act",
    ),
]
