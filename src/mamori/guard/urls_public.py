"""URLs of the public status page (SRM 10-6-3): no sign-in."""

from django.urls import path

from mamori.guard import views_public

app_name = "status"

urlpatterns = [
    path("", views_public.status_view, name="index"),
    path("feed.atom", views_public.status_feed_view, name="feed"),
    path("<int:pk>/", views_public.status_notice_view, name="notice"),
]
