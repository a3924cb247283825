"""URLs of the quality plans, the secure-coding standard, freeze windows, change findings and a
change's deploy gate (SRM 15, 16, 18, 19), included in the operations app's URLs before any
pattern that would take ``changes/<ref>/gate/`` for its own."""

from django.urls import path

from mamori.operations import views_gate

urlpatterns = [
    path("quality/", views_gate.quality_view, name="quality"),
    path("quality/secure-coding/", views_gate.secure_coding_view, name="secure_coding"),
    path(
        "quality/criteria/<int:pk>/delete/",
        views_gate.criterion_delete_view,
        name="criterion_delete",
    ),
    path("quality/<slug:code>/", views_gate.quality_plan_view, name="quality_plan"),
    path("freezes/", views_gate.freezes_view, name="freezes"),
    path("change-findings/", views_gate.findings_view, name="findings"),
    path(
        "change-findings/<int:pk>/resolve/",
        views_gate.finding_resolve_view,
        name="finding_resolve",
    ),
    path("changes/<str:reference>/gate/", views_gate.change_gate_view, name="change_gate"),
    path(
        "changes/<str:reference>/gate/<slug:what>/",
        views_gate.change_gate_act_view,
        name="change_gate_act",
    ),
]
