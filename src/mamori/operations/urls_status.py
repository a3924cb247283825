"""URLs of the daily operating-status confirmation (SRM 21-2), included in operations' URLs."""

from django.urls import path

from mamori.operations import views_status

urlpatterns = [
    path("status/daily/", views_status.daily_view, name="status_daily"),
    path("status/confirm/", views_status.confirm_view, name="status_confirm"),
    path("status/month/", views_status.month_view, name="status_month"),
]
