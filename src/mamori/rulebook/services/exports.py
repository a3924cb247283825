"""Statement of Compliance (PDF via WeasyPrint, Excel via openpyxl) and the evidence pack.

Every export is recorded in the audit log with the SHA-256 of what left the system; the
evidence pack also carries the signed checkpoint current at export time, so a reader can later
ask for proof that the export's audit entry is in the log.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation

from mamori.auditlog.models import Checkpoint
from mamori.auditlog.services import issue_checkpoint, record_export
from mamori.core.exports import safe_row
from mamori.rulebook.models import Control, Evidence, Framework, Requirement
from mamori.rulebook.services.controls import latest_runs
from mamori.rulebook.services.evidence import evidence_path
from mamori.rulebook.services.status import compute, known_by

__all__ = [
    "Row",
    "build_evidence_pack",
    "evidence_pack",
    "recorded",
    "rows",
    "statement_pdf",
    "statement_xlsx",
]

#: What a long build calls as it reaches each of its steps (1, 2, …).
Progress = Callable[[int], None]


def _nothing(step: int) -> None:
    """Report progress to nobody."""


STATUS_LABELS = {
    "compliant": ("適合", "Compliant"),
    "partial": ("一部適合", "Partially compliant"),
    "non_compliant": ("不適合", "Non-compliant"),
    "not_applicable": ("対象外", "Not applicable"),
}
KNOWN_LABELS = {
    "measured": ("計測で充足", "Met by measurement"),
    "workflow": ("ワークフローで充足", "Met by workflow"),
    "document_only": ("確認済み文書のみで充足", "Met by reviewed documents only"),
    "decided": ("承認された判断で充足", "Met by approved decision"),
    "none": ("未充足", "Not met"),
    "not_applicable": ("対象外", "Not applicable"),
}
#: The how-known columns every summary shows (``decided`` and ``not_applicable`` are in the
#: status columns already or rare; shown when present).
KNOWN_COLUMNS = ("measured", "workflow", "document_only", "none")
KIND_LABELS = {
    "measured": ("計測", "measured"),
    "workflow": ("ワークフロー", "workflow"),
    "document": ("確認済み文書", "reviewed document"),
    "self": ("mamori 自身の稼働状況（算入しない）", "mamori's own health (not counted)"),
}
STRENGTH_LABELS = {
    "must": ("義務", "must"),
    "must_not": ("禁止", "must not"),
    "endeavour": ("努力義務", "endeavour"),
    "shall": ("ものとする", "shall"),
}
HEADERS = {
    "ja": [
        "規則",
        "条項",
        "URN",
        "本文",
        "義務の強さ",
        "状況",
        "充足の根拠",
        "理由",
        "統制",
        "責任者",
        "証跡",
        "最終確認",
    ],
    "en": [
        "Rule",
        "Provision",
        "URN",
        "Text",
        "Strength",
        "Status",
        "How it is known",
        "Reasons",
        "Controls",
        "Owners",
        "Evidence",
        "Last checked",
    ],
}


@dataclass
class Row:
    """One requirement of the statement."""

    rule: str
    label: str
    urn: str
    text: str
    strength: str
    status: str
    status_label: str
    known: str = "none"
    known_label: str = ""
    reasons: list[str] = field(default_factory=list)
    controls: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    last_checked: str = ""

    def cells(self) -> list[str]:
        """Return the row as spreadsheet cells."""
        return [
            self.rule,
            self.label,
            self.urn,
            self.text,
            self.strength,
            self.status_label,
            self.known_label,
            "\n".join(self.reasons),
            "\n".join(self.controls),
            "\n".join(self.owners),
            "\n".join(self.evidence),
            self.last_checked,
        ]


def rows(language: str) -> list[Row]:
    """Return every requirement of both rules with its status, how it is known, controls
    (each with its kind), the accepted evidence confirmed to show it, and dates."""
    en = language == "en"
    compliance = compute()
    evidence: dict[int, list[Evidence]] = {}
    accepted = Evidence.objects.filter(review=Evidence.Review.ACCEPTED).select_related(
        "reviewed_by"
    )
    for item in accepted.prefetch_related("confirmed").order_by("-valid_until"):
        evidence.setdefault(item.control_id, []).append(item)
    last_run = latest_runs()
    out: list[Row] = []
    requirements = (
        Requirement.objects.filter(is_requirement=True, removed_in__isnull=True)
        .select_related("framework")
        .prefetch_related("controls__owner_role")
        .order_by("-framework__ref_id", "order")
    )
    for node in requirements:
        status = compliance.of(node.urn)
        pick = 1 if en else 0
        controls: list[Control] = sorted(node.controls.all(), key=lambda c: c.code)
        checked = [last_run[c.pk].started_at for c in controls if c.pk in last_run]
        out.append(
            Row(
                rule=node.framework.ref_id.upper(),
                label=node.label,
                urn=node.urn,
                text=node.text_en if en else node.text_ja,
                strength=STRENGTH_LABELS.get(node.strength, (node.strength, node.strength))[pick],
                status=status.value,
                status_label=STATUS_LABELS[status.value][pick],
                known=known_by(status),
                known_label=KNOWN_LABELS[known_by(status)][pick],
                reasons=[r[pick] for r in status.reasons],
                controls=[
                    f"{c.code} {c.name_en if en else c.name_ja} ({KIND_LABELS[c.kind][pick]})"
                    for c in controls
                ],
                owners=sorted(
                    {c.owner_role.name_en if en else c.owner_role.name_ja for c in controls}
                ),
                evidence=[
                    f"{e.filename} sha256:{e.sha256[:16]}… → {e.valid_until} "
                    f"({'accepted by' if en else '確認者'} {e.reviewed_by})"
                    for c in controls
                    for e in [x for x in evidence.get(c.pk, []) if node in x.confirmed.all()][:1]
                ],
                last_checked=timezone.localtime(max(checked)).strftime("%Y-%m-%d %H:%M")
                if checked
                else "",
            )
        )
    return out


def _summary(items: list[Row]) -> list[dict[str, Any]]:
    out = []
    for framework in Framework.objects.order_by("-ref_id"):
        mine = [r for r in items if r.rule == framework.ref_id.upper()]
        counts = {key: sum(1 for r in mine if r.status == key) for key in STATUS_LABELS}
        known = {key: sum(1 for r in mine if r.known == key) for key in KNOWN_COLUMNS}
        out.append({"framework": framework, "total": len(mine), "counts": counts, "known": known})
    return out


def statement_xlsx(language: str) -> bytes:
    """Return the Statement of Compliance as an Excel workbook (one sheet per rule)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    fills = {
        "compliant": "C6EFCE",
        "partial": "FFEB9C",
        "non_compliant": "FFC7CE",
        "not_applicable": "E7E6E6",
    }
    items = rows(language)
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "概要" if language == "ja" else "Summary"
    summary.append(
        ["mamori — " + ("適合状況報告書" if language == "ja" else "Statement of Compliance")]
    )
    summary.append([timezone.localtime().strftime("%Y-%m-%d %H:%M %Z")])
    summary.append([])
    pick = 1 if language == "en" else 0
    summary.append(
        [
            HEADERS[language][0],
            "N",
            *(STATUS_LABELS[k][pick] for k in STATUS_LABELS),
            *(KNOWN_LABELS[k][pick] for k in KNOWN_COLUMNS),
        ]
    )
    for part in _summary(items):
        name = part["framework"].name_en if language == "en" else part["framework"].name_ja
        summary.append(
            safe_row([name, part["total"], *part["counts"].values(), *part["known"].values()])
        )
    for framework in Framework.objects.order_by("-ref_id"):
        sheet = book.create_sheet(framework.ref_id.upper())
        sheet.append(HEADERS[language])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in (r for r in items if r.rule == framework.ref_id.upper()):
            sheet.append(safe_row(row.cells()))
            status_cell = sheet.cell(row=sheet.max_row, column=6)
            status_cell.fill = PatternFill("solid", fgColor=fills[row.status])
        for column, width in zip(
            "ABCDEFGHIJKL", (6, 12, 34, 60, 12, 14, 18, 40, 40, 24, 40, 16), strict=True
        ):
            sheet.column_dimensions[column].width = width
        for line in sheet.iter_rows(min_row=2):
            for cell in line:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "C2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def statement_pdf(language: str, progress: Progress = _nothing) -> bytes:
    """Return the Statement of Compliance as PDF (Japanese fonts from the system); step 1
    gathers the requirements, step 2 lays the PDF out."""
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except OSError as exc:  # pragma: no cover - needs the system's Pango
        raise RuntimeError(
            f"PDF export needs Pango (Debian: libpango-1.0-0 libpangoft2-1.0-0): {exc}"
        ) from None
    progress(1)
    items = rows(language)
    progress(2)
    with translation.override(language):
        html = render_to_string(
            "rulebook/statement_pdf.html",
            {
                "rows": items,
                "summary": _summary(items),
                "language": language,
                "generated": timezone.localtime(),
                "status_labels": {
                    k: v[1 if language == "en" else 0] for k, v in STATUS_LABELS.items()
                },
                "known_labels": {
                    k: KNOWN_LABELS[k][1 if language == "en" else 0] for k in KNOWN_COLUMNS
                },
            },
        )
    return bytes(HTML(string=html).write_pdf())


def recorded(kind: str, data: bytes, language: str) -> bytes:
    """Record the export of ``data`` in the audit log and return it unchanged."""
    record_export(f"rulebook.{kind}", hashlib.sha256(data).hexdigest(), {"language": language})
    return data


def evidence_pack(language: str) -> bytes:
    """Return a zip: the statement (PDF, Excel), every evidence file, a SHA-256 manifest and
    the signed checkpoint current at export time; the export itself is recorded."""
    data, details = build_evidence_pack(language)
    record_export("rulebook.evidence_pack", hashlib.sha256(data).hexdigest(), details)
    return data


def build_evidence_pack(
    language: str, progress: Progress = _nothing
) -> tuple[bytes, dict[str, Any]]:
    """Return the evidence pack (see :func:`evidence_pack`) and what its export record says,
    in four steps: the checkpoint and the statement's PDF (1, 2), its Excel (3), the evidence
    files and the zip (4); recorded by whoever hands it out."""
    progress(1)
    checkpoint = issue_checkpoint() or Checkpoint.objects.order_by("-size").first()
    files: dict[str, bytes] = {f"statement-{language}.pdf": statement_pdf(language, progress)}
    progress(3)
    files[f"statement-{language}.xlsx"] = statement_xlsx(language)
    progress(4)
    for item in Evidence.objects.select_related("control").order_by("control__code", "pk"):
        path = evidence_path(item.sha256)
        if path.exists():
            files[f"evidence/{item.control.code}/{item.pk}-{item.filename}"] = path.read_bytes()
    if checkpoint is not None:
        files["checkpoint.txt"] = checkpoint.note.encode("utf-8")
    listing: list[dict[str, Any]] = [
        {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in sorted(files.items())
    ]
    manifest: dict[str, Any] = {
        "generated_at": timezone.now().isoformat(),
        "language": language,
        "checkpoint": {"size": checkpoint.size, "root": bytes(checkpoint.root).hex()}
        if checkpoint
        else None,
        "files": listing,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        archive.writestr(
            "SHA256SUMS",
            "".join(f"{f['sha256']}  {f['path']}\n" for f in listing),
        )
    details = {
        "files": len(files),
        "checkpoint_size": checkpoint.size if checkpoint else None,
        "language": language,
    }
    return buffer.getvalue(), details
