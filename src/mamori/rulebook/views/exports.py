"""Statement of Compliance (PDF, Excel) and the evidence pack (zip), each recorded."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from mamori.accounts.views.access import permission_required
from mamori.rulebook.services import exports


def _language(request: HttpRequest) -> str:
    wanted = request.GET.get("lang", "") or translation.get_language() or "ja"
    return "en" if wanted.startswith("en") else "ja"


def _attachment(data: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@permission_required("rulebook.export")
def statement_pdf_view(request: HttpRequest) -> HttpResponse:
    """Download the Statement of Compliance as PDF."""
    language = _language(request)
    data = exports.recorded("statement.pdf", exports.statement_pdf(language), language)
    stamp = timezone.localdate().isoformat()
    return _attachment(data, "application/pdf", f"mamori-statement-{stamp}-{language}.pdf")


@permission_required("rulebook.export")
def statement_xlsx_view(request: HttpRequest) -> HttpResponse:
    """Download the Statement of Compliance as an Excel workbook."""
    language = _language(request)
    data = exports.recorded("statement.xlsx", exports.statement_xlsx(language), language)
    stamp = timezone.localdate().isoformat()
    return _attachment(
        data,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"mamori-statement-{stamp}-{language}.xlsx",
    )


@permission_required("rulebook.export")
def evidence_pack_view(request: HttpRequest) -> HttpResponse:
    """Download the evidence pack: statement, every evidence file, SHA-256 manifest."""
    language = _language(request)
    data = exports.evidence_pack(language)
    stamp = timezone.localdate().isoformat()
    return _attachment(data, "application/zip", f"mamori-evidence-pack-{stamp}.zip")
