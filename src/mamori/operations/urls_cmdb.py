"""URLs of the configuration register (SRM 7-2, 12-2..5), included in the operations app's
URLs."""

from django.urls import path

from mamori.operations import views_cmdb

urlpatterns = [
    path("cmdb/", views_cmdb.items_view, name="cmdb_items"),
    path("cmdb/add/", views_cmdb.item_add_view, name="cmdb_item_add"),
    path("cmdb/evaluation/", views_cmdb.evaluation_view, name="cmdb_evaluation"),
    path("cmdb/items/<int:pk>/", views_cmdb.item_view, name="cmdb_item"),
    path("cmdb/items/<int:pk>/edit/", views_cmdb.item_edit_view, name="cmdb_item_edit"),
    path(
        "cmdb/items/<int:pk>/relations/",
        views_cmdb.relation_add_view,
        name="cmdb_relation_add",
    ),
    path(
        "cmdb/relations/<int:pk>/remove/",
        views_cmdb.relation_remove_view,
        name="cmdb_relation_remove",
    ),
    path(
        "cmdb/departments/<slug:code>/graph/",
        views_cmdb.department_graph_view,
        name="cmdb_department_graph",
    ),
    path("systems/<slug:code>/graph/", views_cmdb.system_graph_view, name="system_graph"),
]
