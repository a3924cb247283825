"""URLs of configuration imports (SRM 12-4), included in the operations app's URLs."""

from django.urls import path

from mamori.operations import views_cmdb_import

urlpatterns = [
    path("cmdb/imports/", views_cmdb_import.imports_view, name="cmdb_imports"),
    path(
        "cmdb/imports/upload/",
        views_cmdb_import.import_upload_view,
        name="cmdb_import_upload",
    ),
]
