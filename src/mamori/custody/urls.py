"""URLs of the custody pages."""

from django.urls import path

from mamori.custody import views, views_setup

app_name = "custody"

urlpatterns = [
    path("", views.overview_view, name="overview"),
    path("halts/<int:pk>/lift/", views.lift_view, name="lift"),
    path("thresholds/", views.thresholds_view, name="thresholds"),
    path("setup/", views_setup.setup_view, name="setup"),
]
