"""Reconciliation pages: last run per asset, 90-day history, open cases, runs, books, cases."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.approvals import ApprovalRefused
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.paging import paged
from mamori.core.tables import downloaded, listing
from mamori.custody.services.monitor import prices
from mamori.operations.models import Change
from mamori.operations.services.changes import stage_label
from mamori.reconciliation import forms
from mamori.reconciliation.export_kinds import STATEMENT_PDF
from mamori.reconciliation.lists import CaseTable, RunTable
from mamori.reconciliation.models import BookImport, Case, ChainNode, Run
from mamori.reconciliation.services import books, cases, history, runs, statements
from mamori.scheduler.exportjobs.views import start


@permission_required("reconciliation.view")
def overview_view(request: HttpRequest) -> HttpResponse:
    """Show the last result per asset, days without a run, the history chart, open cases."""
    found = listing(request, Run.objects.select_related("book"), RunTable, prefix="runs-")
    open_cases = listing(request, Case.objects.select_related("owner"), CaseTable, prefix="cases-")
    if download := downloaded(found, open_cases):
        return download
    missing = history.days_missed_since_first_run(30)
    return render(
        request,
        "reconciliation/overview.html",
        {
            "latest": history.latest_per_asset(),
            "prices": prices(),
            "missing": missing or [],
            "never": missing is None,
            "charts": history.charts(),
            "open_cases": open_cases,
            "runs": found,
            "imports": paged(
                request, BookImport.objects.select_related("imported_by"), "imports-page", 10
            ),
            "nodes": ChainNode.objects.all(),
            "can_manage": has_permission(request.user, "reconciliation.manage"),
            "book_form": forms.BookForm(),
            "refused_book": books.refusal_in_force(),
        },
    )


@require_POST
@permission_required("reconciliation.manage")
def run_now_view(request: HttpRequest) -> HttpResponse:
    """Reconcile now."""
    run = runs.run("manual", request.user)  # type: ignore[arg-type]
    level = messages.SUCCESS if run.status == Run.Status.MATCHED else messages.ERROR
    messages.add_message(
        request,
        level,
        _("Run %(n)s: %(status)s") % {"n": run.pk, "status": run.get_status_display()},
    )
    return redirect("reconciliation:run", pk=run.pk)


@permission_required("reconciliation.view")
def run_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one run: pinned blocks, each asset and wallet."""
    run = get_object_or_404(Run.objects.select_related("book", "triggered_by"), pk=pk)
    return render(
        request,
        "reconciliation/run.html",
        {
            "run": run,
            "assets": run.assets.prefetch_related("wallets"),
            "cases": run.cases.all(),
            "prices": prices(),
        },
    )


@permission_required("reconciliation.view")
def figures_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Download a run's figures as CSV: each figure in whole coins and in raw base units."""
    run = get_object_or_404(Run, pk=pk)
    if run.status == Run.Status.RUNNING:
        messages.error(request, _("A statement is made of a finished run, as json or pdf."))
        return redirect("reconciliation:run", pk=pk)
    response = HttpResponse(
        statements.figures_csv(run, translation.get_language() or "ja"),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="figures-run{pk}.csv"'
    return response


@permission_required("reconciliation.view")
def statement_view(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """Download the signed statement of a run as JSON (ISM 34-3), or ask the worker for it
    as PDF (POST: the export's page follows it)."""
    run = get_object_or_404(Run, pk=pk)
    if run.status == Run.Status.RUNNING or fmt not in ("json", "pdf"):
        messages.error(request, _("A statement is made of a finished run, as json or pdf."))
        return redirect("reconciliation:run", pk=pk)
    if fmt == "pdf":
        if request.method != "POST":
            return redirect("reconciliation:run", pk=pk)
        return start(request, STATEMENT_PDF, {"run": run.pk})
    try:
        document = statements.signed(run)
    except statements.StatementRefused as refused:
        messages.error(request, str(refused))
        return redirect("reconciliation:run", pk=pk)
    body = json.dumps(document, ensure_ascii=False, indent=2).encode()
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="statement-run{pk}.{fmt}"'
    return response


@require_POST
@permission_required("reconciliation.manage")
def book_upload_view(request: HttpRequest) -> HttpResponse:
    """Import an uploaded book, all or nothing."""
    form = forms.BookForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a .csv or .parquet file."))
        return redirect("reconciliation:overview")
    upload = form.cleaned_data["file"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        with path.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        try:
            record = books.import_file(path, "upload", request.user, Path(upload.name).name)  # type: ignore[arg-type]
        except books.BookRefused as refused:
            messages.error(
                request,
                _(
                    "Book refused: %(n)s bad row(s); nothing was imported. Case #%(case)s was "
                    "opened and the responsible people told; runs will not reconcile against "
                    "an older book until a corrected one is imported."
                )
                % {
                    "n": refused.record.error_count,
                    "case": refused.case.pk if refused.case else "—",
                },
            )
            return redirect("reconciliation:book", pk=refused.record.pk)
    messages.success(request, _("Book imported: %(n)s rows.") % {"n": record.rows})
    return redirect("reconciliation:book", pk=record.pk)


@permission_required("reconciliation.view")
def book_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an import: its totals, or every bad row."""
    record = get_object_or_404(BookImport, pk=pk)
    return render(request, "reconciliation/book.html", {"book": record})


def _case_post(request: HttpRequest, case: Case) -> None:
    action = request.POST.get("do", "")
    user = request.user
    form: Form
    if action == "cause":
        form = forms.CauseForm(request.POST)
        if form.is_valid():
            cases.set_cause(case, by=user, **form.cleaned_data)  # type: ignore[arg-type]
    elif action == "action":
        form = forms.ActionForm(request.POST)
        if form.is_valid():
            cases.add_action(case, form.cleaned_data["text"], user)  # type: ignore[arg-type]
    elif action == "owner":
        form = forms.OwnerForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            cases.assign(case, data["owner"], user, data["reason"])  # type: ignore[arg-type]
    elif action == "close":
        form = forms.CloseForm(request.POST)
        if form.is_valid():
            cases.request_close(case, form.cleaned_data["resolution"], user)  # type: ignore[arg-type]
    else:
        raise cases.CaseRefused("bad_action", _("unknown action %(action)r") % {"action": action})
    if not form.is_valid():
        raise cases.CaseRefused(
            "invalid",
            "; ".join(
                f"{form.fields[k].label if k in form.fields else k}: " + " ".join(str(e) for e in v)
                for k, v in form.errors.items()
            ),
            fields=[(k, " ".join(str(e) for e in v)) for k, v in form.errors.items()],
        )


@permission_required("reconciliation.view")
def case_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a case and, for managers, work it: owner, cause, actions, closing."""
    case = get_object_or_404(
        Case.objects.select_related("owner", "run", "book", "close_request"), pk=pk
    )
    can_manage = has_permission(request.user, "reconciliation.manage")
    if request.method == "POST":
        if not can_manage:
            messages.error(request, _("Your roles do not allow working cases."))
        else:
            try:
                _case_post(request, case)
                messages.success(request, _("Saved."))
            except (cases.CaseRefused, ApprovalRefused) as refused:
                messages.error(request, str(getattr(refused, "message", refused)))
        return redirect("reconciliation:case", pk=pk)
    fix_change = _fix_change(case)
    return render(
        request,
        "reconciliation/case.html",
        {
            "case": case,
            "prices": prices(),
            "actions": case.actions.select_related("by"),
            "can_manage": can_manage and case.status != Case.Status.CLOSED,
            "cause_form": forms.CauseForm(
                initial={
                    "cause": case.cause,
                    "fix_reference": case.fix_reference,
                    "incident_reference": case.incident_reference,
                }
            ),
            "action_form": forms.ActionForm(),
            "fix_change": fix_change,
            "fix_change_stage": stage_label(fix_change.stage) if fix_change else "",
            "change_choices": _change_choices() if can_manage else [],
            "owner_form": forms.OwnerForm(initial={"owner": case.owner_id}),
            "close_form": forms.CloseForm(),
        },
    )


def _fix_change(case: Case) -> Change | None:
    """The change the case's fix names by its reference (SRM 11), if there is one."""
    reference = case.fix_reference.strip()
    return Change.objects.filter(reference=reference).first() if reference else None


def _change_choices() -> list[tuple[str, str]]:
    """The changes a fix may name, newest first (offered as the field's suggestions)."""
    return list(
        Change.objects.exclude(stage=Change.Stage.CANCELLED).values_list("reference", "title")
    )


@permission_required("custody.manage")
def nodes_view(request: HttpRequest) -> HttpResponse:
    """Show the chain nodes (URLs masked) and the changes waiting for approval; ask for a
    chain's node to be registered or changed (applied once two other people approve)."""
    from mamori.reconciliation.services import nodes

    form = forms.NodeForm()
    if request.method == "POST":
        form = forms.NodeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                asked = nodes.request_change(
                    data["chain"],
                    data["family"],
                    data["url"],
                    request.user,  # type: ignore[arg-type]
                    confirmations=data["confirmations"],
                )
            except nodes.NodeRefused as refused:
                form.add_error(None, refused.message)
            except ApprovalRefused as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(
                    request,
                    _(
                        "Setting the node of %(chain)s to %(url)s needs two approvals: "
                        "request #%(id)s was sent."
                    )
                    % {
                        "chain": data["chain"],
                        "url": asked.snapshot["requested"]["url_shown"],
                        "id": asked.pk,
                    },
                )
                return redirect("reconciliation:nodes")
    return render(
        request,
        "reconciliation/nodes.html",
        {
            "form": form,
            "nodes": ChainNode.objects.all(),
            "pending": list(nodes.pending().values()),
        },
    )
