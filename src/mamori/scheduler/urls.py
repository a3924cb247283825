"""URLs of the scheduler."""

from django.urls import path

from mamori.scheduler import views

app_name = "scheduler"

urlpatterns = [
    path("", views.jobs_view, name="jobs"),
]
