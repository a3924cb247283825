"""The signed statement for the third-party audit (ISM 34-3): JSON and PDF, signed with the
installation's statement key (Ed25519, private half in an HSM or a key file outside the data
directory)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from mamori.auditlog import keys
from mamori.auditlog.services import origin, record_export
from mamori.custody.models import Asset
from mamori.engines import merkle
from mamori.engines import reconcile as engine
from mamori.reconciliation.models import ChainNode, Run

__all__ = ["build", "key", "pdf", "signed", "verifier"]


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


def build(run: Run) -> dict[str, Any]:
    """Return the statement of ``run`` (unsigned)."""
    if run.status == Run.Status.RUNNING:
        raise ValueError(f"run {run.pk} has not finished")
    assets = {a.code: a for a in Asset.objects.all()}
    families = dict(ChainNode.objects.values_list("chain", "family"))
    entries = []
    for result in run.assets.prefetch_related("wallets"):
        asset = assets.get(result.asset)
        entries.append(
            {
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
        )
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
    }


def signed(run: Run) -> dict[str, Any]:
    """Return the signed statement of ``run`` and record its export in the audit log."""
    document = engine.sign_statement(build(run), key())
    data = json.dumps(document, ensure_ascii=False).encode()
    record_export(
        "reconciliation.statement",
        hashlib.sha256(data).hexdigest(),
        {"run": run.pk, "key_id": document["signature"]["key_id"]},
        object_id=str(run.pk),
    )
    return document


def pdf(document: dict[str, Any], language: str) -> bytes:
    """Return ``document`` (signed) as a PDF for people; the JSON is what verifies."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    with translation.override(language):
        html = render_to_string(
            "reconciliation/statement_pdf.html",
            {
                "statement": document["statement"],
                "signature": document["signature"],
                "verifier": document["verifier"],
                "language": language,
                "time_zone": settings.CONFIG.time_zone,
            },
        )
    return bytes(HTML(string=html).write_pdf())
