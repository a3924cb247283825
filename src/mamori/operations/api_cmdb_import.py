"""API of configuration imports (SRM 12-4).

``POST /api/operations/cmdb/imports?source=terraform`` (scope ``cmdb:import``) imports one
source file — as a multipart ``file`` or the raw body, ``name`` naming it — and answers what
changed (201), or 422 with every bad row or JSON path in ``fields``. ``GET
/api/operations/cmdb/imports`` (scope ``cmdb:read``) lists the runs, newest first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from mamori.core.api import Pagination, acting_person, authenticated, refusals
from mamori.operations.models import ImportRun
from mamori.operations.services import cmdb_import

__all__ = ["router"]

router = Router(tags=["operations"])

#: The largest body the API reads into memory (the command line takes any size).
MAX_BYTES = 512 * 1024 * 1024


class CmdbImportRunOut(Schema):
    """One import of a source file: what it changed, or what it was refused for."""

    id: int
    source: str
    file_name: str
    sha256: str
    outcome: str
    added: int
    changed: int
    gone: int
    reappeared: int
    unchanged: int
    relations_added: int
    relations_gone: int
    relations_unchanged: int
    unknown: int
    errors: list[dict[str, str]]
    at: datetime
    by: str | None

    @staticmethod
    def resolve_by(obj: ImportRun) -> str | None:
        """Return who imported, by username."""
        return obj.by.username if obj.by else None


@router.post(
    "/cmdb/imports",
    response={201: CmdbImportRunOut, **refusals(413, 422)},
    auth=authenticated("cmdb:import"),
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
def import_cmdb(request: HttpRequest, source: str, name: str = "") -> Status[ImportRun]:
    """Import the file as ``source`` (csv, excel, terraform, aws_config, kubernetes, netbox);
    the same file again answers with nothing changed."""
    by = acting_person(request, "cmdb.import")
    upload = request.FILES.get("file")
    if upload is None and (request.content_type or "").startswith("multipart/"):
        # the form was read: its body is gone, and without a field "file" there is nothing
        raise cmdb_import.CmdbImportRefused(
            "cmdb_file_missing",
            "Send the file in the multipart field 'file', or as the raw body.",
            status=422,
        )
    size = upload.size if upload is not None else len(request.body)
    if size and size > MAX_BYTES:
        raise cmdb_import.CmdbImportRefused(
            "cmdb_file_too_large", f"The file is larger than {MAX_BYTES} bytes.", status=413
        )
    data = upload.read() if upload is not None else request.body
    file_name = name or (upload.name if upload is not None else "")
    run = cmdb_import.import_file(source, data, file_name or "", by, "api")
    return Status(201, run)


@router.get(
    "/cmdb/imports",
    response={200: list[CmdbImportRunOut], **refusals(422)},
    auth=authenticated("cmdb:read"),
)
@paginate(Pagination)
def list_cmdb_imports(request: HttpRequest, source: str | None = None) -> Any:
    """The import runs, newest first (``source`` narrows them)."""
    runs = ImportRun.objects.select_related("by")
    return runs.filter(source=source) if source else runs
