"""URLs of exports built by the worker."""

from django.urls import path

from mamori.scheduler.exportjobs import views

app_name = "exports"

urlpatterns = [
    path("", views.exports_view, name="list"),
    path("<int:pk>/", views.export_view, name="job"),
    path("<int:pk>/download", views.download_view, name="download"),
]
