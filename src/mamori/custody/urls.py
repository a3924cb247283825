"""URLs of the custody pages."""

from django.urls import path

from mamori.custody import views, views_records, views_setup

app_name = "custody"

urlpatterns = [
    path("", views.overview_view, name="overview"),
    path("halts/<int:pk>/", views_records.halt_view, name="halt"),
    path("halts/<int:pk>/lift/", views.lift_view, name="lift"),
    path("addresses/<int:pk>/", views_records.address_view, name="address"),
    path("thresholds/", views.thresholds_view, name="thresholds"),
    path("setup/", views_setup.setup_view, name="setup"),
]
