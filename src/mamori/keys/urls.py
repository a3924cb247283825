"""URLs of the key inventory pages."""

from django.urls import path

from mamori.keys import views, views_ceremonies, views_presign

app_name = "keys"

urlpatterns = [
    path("", views.wallets_view, name="wallets"),
    path("wallets/<int:pk>/", views.wallet_view, name="wallet"),
    path("keys/new/", views.key_new_view, name="key_new"),
    path("ceremony/", views.ceremony_view, name="ceremony"),
    path("check/", views.check_now_view, name="check_now"),
    path("presign/", views_presign.presign_view, name="presign"),
    path("presign/<int:pk>/", views_presign.presign_answer_view, name="presign_answer"),
    # issue 26: ceremonies (ISM 28-1, 28-2) and backup access detection (ISM 28-3-5)
    path("ceremonies/", views_ceremonies.ceremonies_view, name="ceremonies"),
    path("ceremonies/new/", views_ceremonies.ceremony_new_view, name="ceremony_new"),
    path("ceremonies/<int:pk>/", views_ceremonies.ceremony_detail_view, name="ceremony_detail"),
    path(
        "ceremonies/<int:pk>/<slug:action>/",
        views_ceremonies.ceremony_action_view,
        name="ceremony_action",
    ),
    path(
        "backups/<int:pk>/accesses/",
        views_ceremonies.backup_accesses_view,
        name="backup_accesses",
    ),
    path("backup-access/findings/", views_ceremonies.findings_view, name="backup_findings"),
    path(
        "backup-access/<int:pk>/acknowledge/",
        views_ceremonies.acknowledge_view,
        name="backup_acknowledge",
    ),
    path("backup-sources/", views_ceremonies.sources_view, name="backup_sources"),
]
