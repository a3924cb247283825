"""URLs of the platform shell."""

from django.urls import path

from mamori.core import views

app_name = "core"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
]
