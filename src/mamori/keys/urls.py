"""URLs of the key inventory pages and of the key-holder systems (ISM 28–31)."""

from django.urls import path

from mamori.keys import views
from mamori.keys import views_entitlements as entitled

app_name = "keys"

urlpatterns = [
    path("", views.wallets_view, name="wallets"),
    path("wallets/<int:pk>/", views.wallet_view, name="wallet"),
    path("keys/new/", views.key_new_view, name="key_new"),
    path("ceremony/", views.ceremony_view, name="ceremony"),
    path("check/", views.check_now_view, name="check_now"),
    path("systems/", entitled.systems_view, name="systems"),
    path("systems/new/", entitled.system_new_view, name="system_new"),
    path("systems/<int:pk>/", entitled.system_view, name="system"),
    path("systems/<int:pk>/edit/", entitled.system_edit_view, name="system_edit"),
    path("systems/<int:pk>/changes/new/", entitled.change_new_view, name="change_new"),
    path("systems/<int:pk>/imports/", entitled.import_view, name="system_import"),
    path("systems/<int:pk>/checklist/", entitled.checklist_view, name="checklist"),
    path("systems/changes/<int:pk>/done/", entitled.change_done_view, name="change_done"),
    path("systems/changes/<int:pk>/check/", entitled.change_check_view, name="change_check"),
    path("systems/findings/<int:pk>/resolve/", entitled.finding_resolve_view, name="resolve"),
]
