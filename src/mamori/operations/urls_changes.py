"""URLs of the systems register, the development plan and changes (SRM 4-6, 8-3, 11, 20,
22), included in the operations app's URLs."""

from django.urls import path

from mamori.operations import views_change_rules, views_changes, views_pipelines, views_systems

urlpatterns = [
    path("change-rules/", views_change_rules.change_rules_view, name="change_rules"),
    path("pipelines/", views_pipelines.pipelines_view, name="pipelines"),
    path(
        "pipelines/<int:pk>/disable/",
        views_pipelines.pipeline_disable_view,
        name="pipeline_disable",
    ),
    path("systems/", views_systems.systems_view, name="systems"),
    path("systems/add/", views_systems.system_add_view, name="system_add"),
    path("systems/<slug:code>/", views_systems.system_view, name="system"),
    path("systems/<slug:code>/edit/", views_systems.system_edit_view, name="system_edit"),
    path("devplans/", views_systems.devplans_view, name="devplans"),
    path("devplans/<slug:code>/", views_systems.devplan_view, name="devplan"),
    path(
        "devplans/versions/<int:pk>/submit/",
        views_systems.devplan_submit_view,
        name="devplan_submit",
    ),
    path("changes/", views_changes.changes_view, name="changes"),
    path("changes/add/", views_changes.change_add_view, name="change_add"),
    path("changes/<str:reference>/", views_changes.change_view, name="change"),
    path("changes/<str:reference>/sign/", views_changes.change_sign_view, name="change_sign"),
    path(
        "changes/<str:reference>/review/",
        views_changes.change_review_view,
        name="change_review",
    ),
    path(
        "changes/<str:reference>/<slug:what>/",
        views_changes.change_act_view,
        name="change_act",
    ),
]
