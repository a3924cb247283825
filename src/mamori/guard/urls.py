"""URLs of containment and customer notices for staff (SRM 10-2, 10-6-3)."""

from django.urls import path

from mamori.guard import views, views_notices

app_name = "guard"

urlpatterns = [
    path("", views.index_view, name="index"),
    path("blocks/", views.blocks_view, name="blocks"),
    path("blocks/add/", views.block_add_view, name="block_add"),
    path("blocks/<int:pk>/lift/", views.block_lift_view, name="block_lift"),
    path("functions/stop/", views.function_stop_view, name="function_stop"),
    path("functions/<int:pk>/restore/", views.function_restore_view, name="function_restore"),
    path("incidents/<int:pk>/", views.incident_view, name="incident"),
    path("incidents/<int:pk>/halt/", views.halt_view, name="halt"),
    path("notices/", views_notices.notices_view, name="notices"),
    path("notices/new/", views_notices.notice_new_view, name="notice_new"),
    path("notices/<int:pk>/", views_notices.notice_view, name="notice"),
    path("notices/<int:pk>/submit/", views_notices.notice_submit_view, name="notice_submit"),
    path("notices/<int:pk>/approve/", views_notices.notice_approve_view, name="notice_approve"),
    path("notices/<int:pk>/update/", views_notices.notice_update_view, name="notice_update"),
]
