"""The signed statement for the third-party audit (ISM 34-3): JSON and PDF, signed with the
installation's statement key (Ed25519, private half in an HSM or a key file outside the data
directory)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mamori.auditlog import keys, signer, store
from mamori.auditlog.models import Checkpoint, Entry, Publication
from mamori.auditlog.publish import cosigned_note
from mamori.auditlog.services import (
    inclusion,
    issue_checkpoint,
    origin,
    record,
    record_export,
)
from mamori.core.errors import Refused
from mamori.core.exports import safe_row
from mamori.core.money import format_amount
from mamori.custody.models import Asset
from mamori.engines import merkle
from mamori.engines import reconcile as engine
from mamori.reconciliation.models import AssetResult, ChainNode, Run

__all__ = [
    "StatementRefused",
    "anchors",
    "build",
    "figures_csv",
    "key",
    "pdf",
    "pdf_html",
    "record_figures",
    "sign",
    "signed",
    "verifier",
]


class StatementRefused(Refused, ValueError):
    """A statement that cannot be anchored in the audit log (the message says why): answered
    409 ``statement_refused`` by the API."""

    status = 409

    def __init__(self, message: Any, code: str = "statement_refused") -> None:
        super().__init__(code, message)


def key() -> merkle.LogKey:
    """Return the statement key, which signs through the configured store (HSM or key file
    outside the data directory); raise :class:`mamori.core.signing.SigningError` if it is not
    there — no key is made here (``mamori keys init statement`` makes one)."""
    return keys.signing_key("statement")


def verifier() -> str:
    """Return the current statement key's verifier as the database holds it (auditors check
    statements with the copy they keep themselves)."""
    return keys.database_verifier("statement")


def _text(value: Any) -> str | None:
    return None if value is None else str(int(value))


def _asset_entry(
    result: AssetResult, assets: dict[str, Asset], families: dict[str, str]
) -> dict[str, Any]:
    asset = assets.get(result.asset)
    return {
        "asset": result.asset,
        "chain": result.chain,
        "family": families.get(result.chain, ""),
        "contract": asset.contract if asset else "",
        "decimals": asset.decimals if asset else None,
        "block": (
            {"number": result.block_number, "hash": result.block_hash}
            if result.block_number is not None
            else None
        ),
        "status": result.status,
        "book": _text(result.book),
        "in_flight": _text(result.in_flight),
        "on_chain": _text(result.on_chain),
        "difference": _text(result.difference),
        "errors": result.errors,
        "wallets": [
            {
                "wallet": w.wallet,
                "address": w.address,
                "on_chain": _text(w.on_chain),
                "book": _text(w.book),
                "in_flight": _text(w.in_flight),
                "difference": _text(w.difference),
            }
            for w in result.wallets.all()
        ],
    }


def _entries(run: Run) -> list[dict[str, Any]]:
    assets = {a.code: a for a in Asset.objects.all()}
    families = dict(ChainNode.objects.values_list("chain", "family"))
    return [
        _asset_entry(result, assets, families) for result in run.assets.prefetch_related("wallets")
    ]


def record_figures(run: Run) -> list[int]:
    """Write each asset's figures of the finished ``run`` to the audit log, one entry per
    asset (what statements are anchored to); return their positions."""
    entries = _entries(run)
    codes = [e["asset"] for e in entries]
    positions = [
        record(
            engine.FIGURES_ACTION,
            "reconciliation.run",
            str(run.pk),
            {**engine.figures(run.pk, entry), "assets": codes},
        )
        for entry in entries
    ]
    numbered = [p for p in positions if p is not None]
    if len(numbered) != len(positions):  # gathered for later: the anchors need positions now
        raise RuntimeError("statement figures must be appended one by one, not gathered")
    return numbered


def _figure_entries(run: Run) -> dict[str, tuple[int, bytes]]:
    """Return each asset's figures entry of ``run`` (position, exact body); raise
    :class:`StatementRefused` if the log holds two for one asset (someone appended figures
    of their own)."""
    found: dict[str, tuple[int, bytes]] = {}
    positions = (
        Entry.objects.filter(
            action=engine.FIGURES_ACTION, object_type="reconciliation.run", object_id=str(run.pk)
        )
        .order_by("position")
        .values_list("position", flat=True)
    )
    for position in positions:
        body = store.body_of(position)
        details = json.loads(body).get("details") or {}
        asset = str(details.get("asset"))
        if details.get("run") != run.pk:
            continue
        if asset in found:
            raise StatementRefused(
                _(
                    "The audit log holds two figure entries for run %(run)s %(asset)s "
                    "(entries %(first)s and %(second)s): someone appended figures of their "
                    "own, so no statement is issued."
                )
                % {"run": run.pk, "asset": asset, "first": found[asset][0], "second": position}
            )
        found[asset] = (position, body)
    return found


def _checkpoint_covering(size: int) -> tuple[Checkpoint, str]:
    """Return the checkpoint a statement is anchored to and its note: the latest one already
    published (so the auditor finds it as ``checkpoints/<size>``, with the witnesses'
    cosignatures) that covers ``size`` entries; else the latest one, issuing one first if
    none covers them (it is published by the next checkpoint job)."""
    published = (
        Publication.objects.filter(ok=True, size__gte=size)
        .order_by("-size")
        .values_list("size", flat=True)
        .first()
    )
    if published is not None:
        checkpoint = Checkpoint.objects.filter(size=published).first()
        if checkpoint is not None:
            return checkpoint, cosigned_note(checkpoint.size) or checkpoint.note
    latest = Checkpoint.objects.order_by("-size").first()
    if latest is None or latest.size < size:
        try:
            issue_checkpoint()
        except signer.SignerRefused as refused:
            raise StatementRefused(
                _(
                    "No statement is issued: the signer refused to sign a checkpoint of the "
                    "audit log (%(reason)s)."
                )
                % {"reason": refused}
            ) from None
        latest = Checkpoint.objects.order_by("-size").first()
    if latest is None or latest.size < size:
        raise StatementRefused(
            _("No checkpoint covers the audit log's first %(size)s entries.") % {"size": size}
        )
    return latest, latest.note


def anchors(run: Run) -> dict[str, Any]:
    """Return ``run``'s anchors: per asset its figures entry (position, exact leaf body,
    inclusion proof) and the signed checkpoint they lead to."""
    found = _figure_entries(run)
    if not found:
        return {"checkpoint": None, "size": None, "entries": []}
    checkpoint, note = _checkpoint_covering(max(p for p, _ in found.values()) + 1)
    return {
        "checkpoint": note,
        "size": checkpoint.size,
        "entries": [
            {
                "asset": asset,
                "position": position,
                "body": body.decode("utf-8"),
                "proof": [h.hex() for h in inclusion(position, checkpoint.size)],
            }
            for asset, (position, body) in sorted(found.items())
        ],
    }


def build(run: Run) -> dict[str, Any]:
    """Return the statement of ``run`` (unsigned), anchored in the audit log."""
    if run.status == Run.Status.RUNNING:
        raise ValueError(f"run {run.pk} has not finished")
    entries = _entries(run)
    book = run.book
    return {
        "exchange": origin().split("/")[0],
        "run": run.pk,
        "status": run.status,
        "run_started_at": run.started_at.isoformat(),
        "run_finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "generated_at": timezone.now().isoformat(),
        "book": (
            {"sha256": book.sha256, "rows": book.rows, "imported_at": book.imported_at.isoformat()}
            if book
            else None
        ),
        "assets": entries,
        "anchors": anchors(run),
    }


def sign(run: Run) -> dict[str, Any]:
    """Return the signed statement of ``run`` (its export is recorded by whoever hands it
    out)."""
    return engine.sign_statement(build(run), key())


def signed(run: Run) -> dict[str, Any]:
    """Return the signed statement of ``run`` and record its export in the audit log."""
    document = sign(run)
    data = json.dumps(document, ensure_ascii=False).encode()
    record_export(
        "reconciliation.statement",
        hashlib.sha256(data).hexdigest(),
        {"run": run.pk, "key_id": document["signature"]["key_id"]},
        object_id=str(run.pk),
    )
    return document


_FIGURES = ("book", "in_flight", "on_chain", "difference")


def _shown(statement: dict[str, Any], language: str) -> list[dict[str, Any]]:
    """Return the asset entries of ``statement``, each (and each of its wallets) with
    ``shown``: its figures as people read them, in whole coins with the asset's decimals
    (``40 ETH``; None stays None). The base units stay in the entry (the PDF prints them
    smaller; the JSON is what verifies)."""

    def shown(figures: dict[str, Any], entry: dict[str, Any]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for name in _FIGURES:
            units = figures.get(name)
            if units is None:
                out[name] = None
            elif entry["decimals"] is None:
                out[name] = f"{units} ({_('base units')})"
            else:
                out[name] = format_amount(int(units), entry["decimals"], entry["asset"], language)
        return out

    return [
        {
            **entry,
            "shown": shown(entry, entry),
            "wallets": [{**w, "shown": shown(w, entry)} for w in entry["wallets"]],
        }
        for entry in statement["assets"]
    ]


_CSV_HEADER = (
    "asset",
    "wallet",
    "address",
    "status",
    *(f"{name}{suffix}" for name in _FIGURES for suffix in ("", "_base_units")),
    "decimals",
)


def figures_csv(run: Run, language: str) -> bytes:
    """Return ``run``'s figures as CSV (UTF-8 with BOM, for Excel): one row per asset (wallet
    empty) and per wallet, each figure twice — as people read it (``40 ETH``) and in raw base
    units (``40000000000000000000``, the digits the signed JSON holds) — every cell through
    :func:`mamori.core.exports.safe_row`; the export is recorded in the audit log (ISM 34-3)."""
    rows: list[list[Any]] = [list(_CSV_HEADER)]
    for entry in _shown({"assets": _entries(run)}, language):
        for figures, wallet, address in [
            (entry, "", ""),
            *((w, w["wallet"], w["address"]) for w in entry["wallets"]),
        ]:
            cells: list[Any] = [entry["asset"], wallet, address, figures.get("status", "")]
            for name in _FIGURES:
                raw = figures.get(name)
                cells += [figures["shown"][name] or "", "" if raw is None else int(raw)]
            rows.append(safe_row([*cells, entry["decimals"]]))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    body = ("\ufeff" + out.getvalue()).encode("utf-8")
    record_export(
        "reconciliation.figures",
        hashlib.sha256(body).hexdigest(),
        {"run": run.pk, "format": "csv"},
        object_id=str(run.pk),
    )
    return body


def pdf_html(document: dict[str, Any], language: str) -> str:
    """Return the HTML of ``document``'s PDF (``statement``, ``signature``, ``verifier``):
    figures in whole coins, the base units beside them."""
    with translation.override(language):
        return render_to_string(
            "reconciliation/statement_pdf.html",
            {
                "statement": document["statement"],
                "assets": _shown(document["statement"], language),
                "signature": document["signature"],
                "verifier": document["verifier"],
                "language": language,
                "time_zone": settings.CONFIG.time_zone,
            },
        )


def pdf(document: dict[str, Any], language: str) -> bytes:
    """Return ``document`` (signed) as a PDF for people; the JSON is what verifies."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    return bytes(HTML(string=pdf_html(document, language)).write_pdf())
