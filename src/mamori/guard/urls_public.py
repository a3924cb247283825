"""URLs of the public status page (SRM 10-6-3): no sign-in."""

from django.urls import path

from mamori.guard import views_public
from mamori.operations import views_maintenance

app_name = "status"

urlpatterns = [
    path("", views_public.status_view, name="index"),
    path("feed.atom", views_public.status_feed_view, name="feed"),
    # the maintenance announced to customers (SRM 13-2), owned by operations
    path("maintenance.ics", views_maintenance.public_ical_view, name="maintenance_ics"),
    path("<int:pk>/", views_public.status_notice_view, name="notice"),
]
