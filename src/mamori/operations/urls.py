"""URLs of the operations pages (the lead merges the incident pages' own patterns here)."""

from mamori.operations.urls_bcp import urlpatterns as bcp

app_name = "operations"

urlpatterns = [*bcp]
