"""URLs of the platform shell."""

from django.urls import path

from mamori.core import views

app_name = "core"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("tasks/", views.tasks_view, name="tasks"),
    path("search/", views.search_view, name="search"),
]
