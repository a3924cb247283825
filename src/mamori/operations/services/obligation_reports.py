"""The report an obligation sends, drafted in Japanese from the incident's fields and exported
as PDF (WeasyPrint) or Word (python-docx); every export is recorded in the audit log
(SRM 6-1-3, ISM 8-1-3: contact with the authorities).

The draft has a title and sections (detection time in JST, kind, severity, what is affected,
timeline, actions, contact). The person editing it before it is sent edits plain text; an
edited text replaces the drafted one in the exports.
"""

from __future__ import annotations

import hashlib
import io

from django.template.loader import render_to_string
from django.utils import timezone

from mamori.engines.incidents.clocks import TOKYO
from mamori.operations.models import Obligation, Recipient, Stage

__all__ = ["docx_bytes", "draft_text", "pdf_bytes", "report_text", "title"]

_KINDS = {
    "system_failure": "システム障害",
    "cyber_attack": "サイバー攻撃",
    "information_leak": "情報漏えい",
    "crypto_asset_leak": "暗号資産の流出",
    "vendor_failure": "委託先の障害",
    "other": "その他",
}
_SEVERITIES = {"S1": "S1（重大）", "S2": "S2（大）", "S3": "S3（中）", "S4": "S4（小）"}
_RECIPIENTS: dict[str, str] = {
    Recipient.SYSTEM_GENERAL_MANAGER: "システム統括管理責任者",
    Recipient.CISO: "情報セキュリティ最高責任者",
    Recipient.BOARD: "取締役会",
    Recipient.AUTHORITY: "金融庁・財務局",
    Recipient.ASSOCIATION: "一般社団法人日本暗号資産等取引業協会",
    Recipient.PPC: "個人情報保護委員会",
    Recipient.CUSTOMERS: "お客様各位",
}
_STAGES: dict[str, str] = {
    Stage.FIRST: "第一報",
    Stage.INTERIM: "中間報告",
    Stage.FINAL: "最終報告",
    Stage.PRELIMINARY: "速報",
    Stage.CONFIRMED: "確報",
}
_ACTION_KINDS = ("action", "containment", "status", "halt", "block", "kill_switch")


def _jst(at: object) -> str:
    return timezone.localtime(at, TOKYO).strftime("%Y年%m月%d日 %H:%M（日本時間）")  # type: ignore[arg-type]


def title(obligation: Obligation) -> str:
    """Return the report's title (``[訓練]`` first for a drill)."""
    incident = obligation.incident
    drill = "【訓練】" if incident.drill else ""
    return (
        f"{drill}{incident.reference} {_STAGES.get(obligation.stage, obligation.stage)}"
        f"（{_RECIPIENTS.get(obligation.recipient, obligation.recipient)}宛）"
    )


def draft_text(obligation: Obligation) -> str:
    """Draft the report's text from the incident's fields, in Japanese."""
    incident = obligation.incident
    entries = list(incident.timeline.select_related("by").order_by("at", "pk"))
    timeline = [
        f"・{_jst(e.at)} {e.text or e.kind}" for e in entries if not e.kind.startswith("obligation")
    ]
    actions = [f"・{_jst(e.at)} {e.text}" for e in entries if e.kind.startswith(_ACTION_KINDS)]
    commander = incident.commander
    contact = (
        f"{commander.display_name or commander.get_username()}（{commander.email or '—'}）"
        if commander is not None
        else "未定"
    )
    lines = [
        "1. 事案の概要",
        f"   件名: {incident.title}",
        f"   発生場所: {incident.location or '—'}",
        f"   検知日時: {_jst(incident.detected_at)}",
        f"   種別: {_KINDS.get(incident.kind, incident.kind)}",
        f"   重大度: {_SEVERITIES.get(incident.severity, incident.severity)}",
        f"   状況: {incident.get_status_display()}",
        "",
        "2. 影響範囲",
        f"   影響を受けたシステム・サービス: {'、'.join(incident.systems) or '—'}",
        f"   影響を受けた資産: {'、'.join(incident.assets) or '—'}",
        f"   影響を受けたお客様の数: {incident.customers_affected:,}名",
        f"   流出等のおそれのある資産額: {int(incident.assets_at_risk_jpy):,}円",
        f"   個人データ: {'あり' if incident.personal_data else 'なし'}"
        + (f"（{incident.records_affected:,}件）" if incident.records_affected else "")
        + ("、不正アクセスによるおそれあり" if incident.unauthorised_access else ""),
        "",
        "3. 経緯",
        *(timeline or ["   （記録なし）"]),
        "",
        "4. 対応状況",
        *(actions or ["   （記録なし）"]),
        "",
        "5. 連絡先",
        f"   責任者: {contact}",
    ]
    if incident.description:
        lines[1:1] = [f"   内容: {incident.description}"]
    return "\n".join(lines)


def report_text(obligation: Obligation) -> str:
    """Return the text to send: the edited draft, or the drafted one."""
    return obligation.draft or draft_text(obligation)


def _record(obligation: Obligation, body: bytes, fmt: str) -> None:
    from mamori.auditlog.services import record_export

    record_export(
        "operations.obligation",
        hashlib.sha256(body).hexdigest(),
        {"format": fmt, "incident": obligation.incident.reference},
        str(obligation.pk),
    )


def pdf_bytes(obligation: Obligation) -> bytes:
    """Return the report as a PDF (recorded in the audit log as an export)."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    html = render_to_string(
        "operations/obligation_report_pdf.html",
        {
            "title": title(obligation),
            "text": report_text(obligation),
            "obligation": obligation,
            "generated_at": _jst(timezone.now()),
        },
    )
    body = bytes(HTML(string=html).write_pdf())
    _record(obligation, body, "pdf")
    return body


def docx_bytes(obligation: Obligation) -> bytes:
    """Return the report as a Word document (recorded in the audit log as an export)."""
    from docx import Document
    from docx.oxml.ns import qn

    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Noto Sans CJK JP"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK JP")
    document.add_heading(title(obligation), level=1)
    document.add_paragraph(f"宛先: {_RECIPIENTS.get(obligation.recipient, obligation.recipient)}")
    document.add_paragraph(f"作成日時: {_jst(timezone.now())}")
    for line in report_text(obligation).splitlines():
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    body = out.getvalue()
    _record(obligation, body, "docx")
    return body
