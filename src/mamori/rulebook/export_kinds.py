"""The rulebook's heavy exports, built by the worker (issue 25, point 6): the Statement of
Compliance as PDF and Excel (SRM 4-4, ISM 5: what the rules ask, and how it is met) and the
evidence pack an inspector or auditor takes away."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamori.scheduler.exportjobs import Built, ExportKind, Progress, register_export

__all__ = ["EVIDENCE_PACK", "STATEMENT_PDF", "STATEMENT_XLSX", "register"]

STATEMENT_PDF = "rulebook.statement.pdf"
STATEMENT_XLSX = "rulebook.statement.xlsx"
EVIDENCE_PACK = "rulebook.evidence_pack"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _stamp() -> str:
    return timezone.localdate().isoformat()


def _pdf(parameters: dict[str, Any], language: str, progress: Progress) -> Built:
    from mamori.rulebook.services import exports

    data = exports.statement_pdf(language, progress)
    name = f"mamori-statement-{_stamp()}-{language}.pdf"
    return Built(data, name, "application/pdf", {"language": language})


def _xlsx(parameters: dict[str, Any], language: str, progress: Progress) -> Built:
    from mamori.rulebook.services import exports

    progress(1)
    data = exports.statement_xlsx(language)
    return Built(data, f"mamori-statement-{_stamp()}-{language}.xlsx", XLSX, {})


def _pack(parameters: dict[str, Any], language: str, progress: Progress) -> Built:
    from mamori.rulebook.services import exports

    data, details = exports.build_evidence_pack(language, progress)
    return Built(data, f"mamori-evidence-pack-{_stamp()}.zip", "application/zip", details)


def _dashboard(parameters: dict[str, Any]) -> str:
    return "/rulebook/"


def register() -> None:
    """Register the statement (PDF, Excel) and the evidence pack."""
    gather = _("Gathering every requirement, its status and evidence")
    layout = _("Laying out the PDF")
    register_export(
        ExportKind(
            STATEMENT_PDF,
            _("Statement of Compliance (PDF)"),
            "rulebook.export",
            _pdf,
            (gather, layout),
            "rulebook.statement.pdf",
            back=_dashboard,
        )
    )
    register_export(
        ExportKind(
            STATEMENT_XLSX,
            _("Statement of Compliance (Excel)"),
            "rulebook.export",
            _xlsx,
            (gather,),
            "rulebook.statement.xlsx",
            back=_dashboard,
        )
    )
    register_export(
        ExportKind(
            EVIDENCE_PACK,
            _("Evidence pack (zip)"),
            "rulebook.export",
            _pack,
            (gather, layout, _("Writing the Excel workbook"), _("Packing the evidence files")),
            "rulebook.evidence_pack",
            back=_dashboard,
        )
    )
