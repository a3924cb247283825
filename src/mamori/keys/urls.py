"""URLs of the key inventory pages and of the key-holder systems (ISM 28–31)."""

from django.urls import path

from mamori.keys import views, views_ceremonies, views_edit, views_leak, views_presign
from mamori.keys import views_entitlements as entitled

app_name = "keys"

urlpatterns = [
    path("", views.wallets_view, name="wallets"),
    path("wallets/<int:pk>/", views.wallet_view, name="wallet"),
    path("keys/new/", views.key_new_view, name="key_new"),
    path("ceremony/", views.ceremony_view, name="ceremony"),
    path("check/", views.check_now_view, name="check_now"),
    path("presign/", views_presign.presign_view, name="presign"),
    path("presign/<int:pk>/", views_presign.presign_answer_view, name="presign_answer"),
    path("wallets/<int:pk>/signing/", views_presign.signing_policy_view, name="signing_policy"),
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
    # editing the inventory (ISM 28)
    path("sites/", views_edit.sites_view, name="sites"),
    path("sites/new/", views_edit.site_edit_view, name="site_new"),
    path("sites/<int:pk>/", views_edit.site_edit_view, name="site_edit"),
    path("sites/<int:pk>/close/", views_edit.site_close_view, name="site_close"),
    path("wallets/new/", views_edit.wallet_edit_view, name="wallet_new"),
    path("wallets/<int:pk>/edit/", views_edit.wallet_edit_view, name="wallet_edit"),
    path("keys/<int:pk>/", views_edit.key_edit_view, name="key_edit"),
    path("backups/new/", views_edit.backup_edit_view, name="backup_new"),
    path("backups/<int:pk>/", views_edit.backup_edit_view, name="backup_edit"),
    path("rules/", views_edit.rules_view, name="rules"),
    path("rules/new/", views_edit.rule_edit_view, name="rule_new"),
    path("rules/<int:pk>/", views_edit.rule_edit_view, name="rule_edit"),
    # leak response (ISM 30)
    path("leak/", views_leak.leak_view, name="leak"),
    path("leak/drills/new/", views_leak.drill_new_view, name="drill_new"),
    path("leak/drills/<int:pk>/", views_leak.drill_view, name="drill"),
    path("leak/<str:kind>/new/", views_leak.version_new_view, name="leak_version_new"),
    path("leak/versions/<int:pk>/", views_leak.version_view, name="leak_version"),
    path("leak/versions/<int:pk>/file/", views_leak.version_file_view, name="leak_version_file"),
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
