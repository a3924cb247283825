"""The auditor's statement of a reconciliation run as PDF (ISM 34-3), built by the worker
(issue 25, point 6): signing the figures and laying out the PDF take seconds a web request
should not hold."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from mamori.core.errors import Refused
from mamori.scheduler.exportjobs import Built, ExportKind, Progress, register_export

__all__ = ["STATEMENT_PDF", "register"]

STATEMENT_PDF = "reconciliation.statement.pdf"


def _run(parameters: dict[str, Any]) -> Any:
    from mamori.reconciliation.models import Run

    number = parameters.get("run")
    run = Run.objects.filter(pk=number).first() if isinstance(number, int) else None
    if run is None:
        raise Refused("not_found", _("there is no such run"), status=404)
    if run.status == Run.Status.RUNNING:
        raise Refused(
            "run_not_finished", _("A statement is made of a finished run, as json or pdf.")
        )
    return run


def _check(parameters: dict[str, Any]) -> None:
    _run(parameters)


def _build(parameters: dict[str, Any], language: str, progress: Progress) -> Built:
    from mamori.reconciliation.services import statements

    progress(1)
    run = _run(parameters)
    document = statements.sign(run)
    progress(2)
    data = statements.pdf(document, language)
    details = {"run": run.pk, "key_id": document["signature"]["key_id"], "format": "pdf"}
    return Built(data, f"statement-run{run.pk}.pdf", "application/pdf", details)


def register() -> None:
    """Register the statement PDF of a run."""
    register_export(
        ExportKind(
            STATEMENT_PDF,
            _("Reconciliation statement (PDF)"),
            "reconciliation.view",
            _build,
            (_("Signing the run's figures"), _("Laying out the PDF")),
            "reconciliation.statement",
            check=_check,
            object_id=lambda parameters: str(parameters.get("run", "")),
            back=lambda parameters: f"/reconciliation/runs/{parameters.get('run', '')}/",
        )
    )
