"""URLs of reporting obligations (SRM 6-1-3, 7-3; ISM 8-1-3, 9-3), mounted under
``/operations/``: ``path("operations/", include("mamori.operations.urls_obligations"))``."""

from django.urls import path

from mamori.operations import views_obligations as views

app_name = "operations_obligations"

urlpatterns = [
    path("obligations/", views.obligations_view, name="overview"),
    path("obligations/rules/", views.rules_view, name="rules"),
    path("obligations/rules/new/", views.rule_edit_view, name="rule_new"),
    path("obligations/rules/<int:pk>/", views.rule_edit_view, name="rule_edit"),
    path("obligations/<int:pk>/sent/", views.sent_view, name="sent"),
    path("obligations/<int:pk>/waive/", views.waive_view, name="waive"),
    path("obligations/<int:pk>/report/", views.draft_view, name="draft"),
    path(
        "obligations/<int:pk>/report.<str:fmt>",
        views.export_view,
        name="export",
    ),
    path(
        "incidents/<int:pk>/obligations/",
        views.incident_obligations_view,
        name="incident",
    ),
]
