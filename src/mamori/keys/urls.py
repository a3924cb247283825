"""URLs of the key inventory pages."""

from django.urls import path

from mamori.keys import views, views_presign

app_name = "keys"

urlpatterns = [
    path("", views.wallets_view, name="wallets"),
    path("wallets/<int:pk>/", views.wallet_view, name="wallet"),
    path("keys/new/", views.key_new_view, name="key_new"),
    path("ceremony/", views.ceremony_view, name="ceremony"),
    path("check/", views.check_now_view, name="check_now"),
    path("presign/", views_presign.presign_view, name="presign"),
    path("presign/<int:pk>/", views_presign.presign_answer_view, name="presign_answer"),
]
