"""Statement of Compliance (PDF, Excel) and the evidence pack (zip): asked for here, built by
the worker, followed and downloaded on the export's page (each download recorded)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from mamori.accounts.views.access import permission_required
from mamori.rulebook.export_kinds import EVIDENCE_PACK, STATEMENT_PDF, STATEMENT_XLSX
from mamori.scheduler.exportjobs.views import start


@permission_required("rulebook.export")
@require_POST
def statement_pdf_view(request: HttpRequest) -> HttpResponse:
    """Ask for the Statement of Compliance as PDF."""
    return start(request, STATEMENT_PDF, {})


@permission_required("rulebook.export")
@require_POST
def statement_xlsx_view(request: HttpRequest) -> HttpResponse:
    """Ask for the Statement of Compliance as an Excel workbook."""
    return start(request, STATEMENT_XLSX, {})


@permission_required("rulebook.export")
@require_POST
def evidence_pack_view(request: HttpRequest) -> HttpResponse:
    """Ask for the evidence pack: statement, every evidence file, SHA-256 manifest."""
    return start(request, EVIDENCE_PACK, {})
