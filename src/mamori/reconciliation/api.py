"""API of reconciliation: runs and their results, book imports, cases, signed statements.

``POST /api/reconciliation/books`` (scope ``reconciliation:book``) imports a CSV or Parquet
book all or nothing (422 with every bad row); ``POST /api/reconciliation/runs`` (scope
``reconciliation:run``) reconciles now; reads need ``reconciliation:read``. A refused book opens
a *book refused* case, and until a newer book is accepted every run fails naming it.
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from mamori.core.api import Pagination, acting_person, authenticated, refusals
from mamori.core.errors import Refused
from mamori.reconciliation.export_kinds import STATEMENT_PDF
from mamori.reconciliation.models import BookImport, Case, ChainNode, Run
from mamori.reconciliation.services import books, nodes, runs, statements
from mamori.scheduler.exportjobs.api import add_export_routes

__all__ = ["router"]

router = Router(tags=["reconciliation"])


class WalletOut(Schema):
    """One wallet's figures in base units (strings: exact)."""

    wallet: str
    address: str
    status: str
    book: str | None
    in_flight: str | None
    on_chain: str | None
    difference: str | None
    error: str


class AssetOut(Schema):
    """One asset's result at its pinned block."""

    asset: str
    chain: str
    block_number: int | None
    block_hash: str
    status: str
    book: str
    in_flight: str
    on_chain: str | None
    difference: str | None
    errors: list[str]
    wallets: list[WalletOut]


class RunOut(Schema):
    """A run: when, on which book and blocks, with what outcome."""

    id: int
    status: str
    reason: str
    trigger: str
    day: date
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    book: int | None
    pins: list[dict[str, Any]]
    assets: list[AssetOut]


class BookOut(Schema):
    """An accepted book: rows read and the totals per asset, wallet and category."""

    id: int
    status: str
    rows: int
    sha256: str
    totals: list[list[str]]


class CaseOut(Schema):
    """A case: a difference a run found (``run``), or a refused book (``book``). ``halt``
    says what happened to the halt the asset's policy called for: ``made`` (the custody
    monitor confirmed it), ``not_made`` (``halt_refused`` holds the monitor's code, e.g.
    ``unknown_asset``: the asset is not configured in custody monitoring) or ``none``."""

    id: int
    kind: str
    asset: str
    wallet: str
    run: int | None
    book: int | None
    halt: Literal["made", "not_made", "none"]
    halt_refused: str
    difference: str
    status: str
    cause: str
    owner: str | None
    fix_reference: str
    opened_at: datetime
    closed_at: datetime | None


def _s(value: Any) -> str | None:
    return None if value is None else str(int(value))


def _run(run: Run) -> dict[str, Any]:
    return {
        "id": run.pk,
        "status": run.status,
        "reason": run.reason,
        "trigger": run.trigger,
        "day": run.day,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_ms": run.duration_ms,
        "book": run.book_id,
        "pins": run.pins,
        "assets": [
            {
                "asset": a.asset,
                "chain": a.chain,
                "block_number": a.block_number,
                "block_hash": a.block_hash,
                "status": a.status,
                "book": str(int(a.book)),
                "in_flight": str(int(a.in_flight)),
                "on_chain": _s(a.on_chain),
                "difference": _s(a.difference),
                "errors": a.errors,
                "wallets": [
                    {
                        "wallet": w.wallet,
                        "address": w.address,
                        "status": w.status,
                        "book": _s(w.book),
                        "in_flight": _s(w.in_flight),
                        "on_chain": _s(w.on_chain),
                        "difference": _s(w.difference),
                        "error": w.error,
                    }
                    for w in a.wallets.all()
                ],
            }
            for a in run.assets.prefetch_related("wallets")
        ],
    }


@router.get(
    "/runs",
    response={200: list[RunOut], **refusals(422)},
    auth=authenticated("reconciliation:read"),
)
def list_runs(request: HttpRequest, limit: int = 30) -> list[dict[str, Any]]:
    """Return the latest runs, newest first (at most 200)."""
    return [_run(r) for r in Run.objects.all()[: max(1, min(limit, 200))]]


@router.get(
    "/runs/{run_id}",
    response={200: RunOut, **refusals(404, 422)},
    auth=authenticated("reconciliation:read"),
)
def get_run(request: HttpRequest, run_id: int) -> dict[str, Any]:
    """Return one run with every asset and wallet."""
    return _run(get_object_or_404(Run, pk=run_id))


@router.post(
    "/runs", response={201: RunOut, **refusals(409, 422)}, auth=authenticated("reconciliation:run")
)
def start_run(request: HttpRequest) -> Status[dict[str, Any]]:
    """Reconcile now with the current book."""
    who = acting_person(request, "reconciliation.manage")
    return Status(201, _run(runs.run("api", who)))


@router.get(
    "/runs/{run_id}/statement",
    response={200: dict[str, Any], **refusals(404, 409, 422)},
    auth=authenticated("reconciliation:read"),
)
def get_statement(request: HttpRequest, run_id: int) -> dict[str, Any]:
    """Return the signed statement of a finished run (ISM 34-3)."""
    run = get_object_or_404(Run, pk=run_id)
    if run.status == Run.Status.RUNNING:
        raise Refused("not_finished", _("run %(id)s has not finished") % {"id": run.pk}, status=409)
    return statements.signed(run)


@router.post(
    "/books", response={201: BookOut, **refusals(422)}, auth=authenticated("reconciliation:book")
)
def import_book(request: HttpRequest, file: File[UploadedFile]) -> Status[dict[str, Any]]:
    """Import a .csv or .parquet book; 422 lists every bad row and nothing is kept."""
    who = acting_person(request, "reconciliation.manage")
    name = Path(file.name or "book").name
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        with path.open("wb") as handle:
            for chunk in file.chunks():
                handle.write(chunk)
        record = books.import_file(path, "api", who, name)
    return Status(201, _book(record))


def _book(record: BookImport) -> dict[str, Any]:
    return {
        "id": record.pk,
        "status": record.status,
        "rows": record.rows,
        "sha256": record.sha256,
        "totals": record.totals,
    }


class BookErrorsOut(Schema):
    """The bad rows of a refused book (at most the first 1,000 are kept)."""

    id: int
    error_count: int
    errors: list[dict[str, Any]]


@router.get(
    "/books/{book_id}/errors",
    response={200: BookErrorsOut, **refusals(404, 422)},
    auth=authenticated("reconciliation:read"),
)
def book_errors(request: HttpRequest, book_id: int) -> dict[str, Any]:
    """Return the bad rows of a refused book."""
    record = get_object_or_404(BookImport, pk=book_id)
    return {"id": record.pk, "error_count": record.error_count, "errors": record.errors}


@router.get(
    "/cases",
    response={200: list[CaseOut], **refusals(422)},
    auth=authenticated("reconciliation:read"),
)
@paginate(Pagination)
def list_cases(request: HttpRequest, open_only: bool = False) -> list[dict[str, Any]]:
    """Return discrepancy cases, newest first, a page at a time (``page``, ``page_size``)."""
    cases = Case.objects.select_related("owner")
    if open_only:
        cases = cases.exclude(status=Case.Status.CLOSED)
    return [
        {
            "id": c.pk,
            "kind": c.kind,
            "asset": c.asset,
            "wallet": c.wallet,
            "run": c.run_id,
            "book": c.book_id,
            "halt": "made" if c.halt_ordered else "not_made" if c.halt_refused else "none",
            "halt_refused": c.halt_refused,
            "difference": str(int(c.difference)),
            "status": c.status,
            "cause": c.cause,
            "owner": c.owner.username if c.owner else None,
            "fix_reference": c.fix_reference,
            "opened_at": c.opened_at,
            "closed_at": c.closed_at,
        }
        for c in cases
    ]


class NodeIn(Schema):
    """The node of one chain: an Ethereum/EVM or Bitcoin Core JSON-RPC URL (credentials in it
    are stored encrypted and never shown)."""

    chain: str = Field(max_length=40)
    family: Literal["evm", "bitcoin"]
    url: str = Field(max_length=300)
    confirmations: int = Field(default=0, ge=0, le=1000)
    timeout_seconds: int = Field(default=10, ge=1, le=300)


class NodeOut(Schema):
    """A registered node, its URL with secrets masked."""

    chain: str
    family: str
    url: str
    confirmations: int
    timeout_seconds: int


def _node(node: ChainNode) -> dict[str, Any]:
    return {
        "chain": node.chain,
        "family": node.family,
        "url": node.url_shown,
        "confirmations": node.confirmations,
        "timeout_seconds": node.timeout_seconds,
    }


class NodeChangeOut(Schema):
    """A node change sent for two approvals."""

    approval_request: int
    kind: str
    chain: str
    url: str
    status: str


_ADMIN = authenticated("custody:admin", person_required=True)


@router.get("/nodes", response=list[NodeOut], auth=_ADMIN)
def list_nodes(request: HttpRequest) -> list[dict[str, Any]]:
    """List the chain nodes (URLs masked)."""
    return [_node(n) for n in ChainNode.objects.all()]


@router.post("/nodes", response={202: NodeChangeOut, **refusals(403, 409, 422)}, auth=_ADMIN)
def set_node(request: HttpRequest, body: NodeIn) -> Status[Any]:
    """Ask for the node of a chain to be registered or changed (202 with the approval request:
    applied once two other people approve); a URL that cannot work is refused (422), a second
    pending change of the same chain too (409)."""
    person = acting_person(request, "custody.manage")
    if person is None:  # the authentication already refuses a token no person issued
        raise Refused("person_required", _("a node change is asked by a person"), status=403)
    asked = nodes.request_change(
        body.chain,
        body.family,
        body.url,
        person,
        confirmations=body.confirmations,
        timeout_seconds=body.timeout_seconds,
    )
    return Status(
        202,
        {
            "approval_request": asked.pk,
            "kind": asked.kind,
            "chain": body.chain,
            "url": asked.snapshot["requested"]["url_shown"],
            "status": asked.status,
        },
    )


add_export_routes(router, "/reconciliation", "reconciliation:read", (STATEMENT_PDF,))
