"""URLs of the audit log."""

from django.urls import path

from mamori.auditlog import views

app_name = "auditlog"

urlpatterns = [
    path("", views.entries_view, name="entries"),
    path("<int:position>/", views.entry_view, name="entry"),
]
