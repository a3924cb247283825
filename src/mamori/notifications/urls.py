"""URLs of notifications."""

from django.urls import path

from mamori.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox_view, name="inbox"),
    path("<int:pk>/", views.detail_view, name="detail"),
    path("<int:pk>/acknowledge/", views.acknowledge_view, name="acknowledge"),
    path("webhooks/", views.webhooks_view, name="webhooks"),
    path("webhooks/<int:pk>/disable/", views.webhook_disable_view, name="webhook_disable"),
]
