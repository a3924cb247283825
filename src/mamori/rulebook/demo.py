"""Demo data of the rulebook: published policy summaries, evidence, runs, a pending decision."""

from __future__ import annotations

import io
from datetime import timedelta

from django.utils import timezone

from mamori.accounts.models import User
from mamori.accounts.services import approvals
from mamori.core.demo import DemoReport
from mamori.rulebook.models import Control, Evidence, PolicyDocument, Requirement, StatusDecision

SYSTEM_RISK = {
    "policy": {
        "ja": "当社は、システムリスクを経営上の重大な課題と認識し、顧客保護を最優先に、取締役会の監督のもとで全社的にシステムリスクを管理します。",
        "en": "We treat system risk as a serious management issue and manage it company-wide under the board's oversight, putting customer protection first.",
    },
    "targets": {
        "ja": "重要システムの年間稼働率 99.95% 以上、顧客資産の毀損ゼロ、重大障害の 2 時間以内の復旧を目標とします。",
        "en": "Availability of critical systems of at least 99.95% a year, no loss of customer assets, and recovery from serious failures within two hours.",
    },
    "framework": {
        "ja": "システム統括管理責任者を置き、部署ごとにシステム管理責任者を設置し、開発と運用を分離します。",
        "en": "A system general manager leads; each department has a system manager; development and operations are separated.",
    },
    "review": {
        "ja": "少なくとも年 1 回、管理状況を評価し本方針を見直します。",
        "en": "We evaluate the state of management and review this policy at least once a year.",
    },
}
INFORMATION_SECURITY = {
    "objectives": {
        "ja": "お客様の資産と情報の機密性・完全性・可用性を守ります。",
        "en": "We protect the confidentiality, integrity and availability of customers' assets and information.",
    },
    "actions": {
        "ja": "リスク評価に基づく管理策の実施、全役職員への教育、アクセス記録の保存と検証を行います。",
        "en": "We apply controls chosen by risk assessment, train every officer and employee, and keep and verify access records.",
    },
    "reasons": {
        "ja": "暗号資産は一度流出すると取り戻せないため、情報の安全管理が事業の前提です。",
        "en": "Crypto-assets that leave cannot be recovered, so information security is the basis of our business.",
    },
    "scope": {
        "ja": "当社の全業務、全システム、紙の資料、外部委託先を対象とし、秘密鍵は最も厳格に管理します。",
        "en": "All our business, systems, paper records and outsourcees; private keys are managed most strictly.",
    },
    "outsourcing": {
        "ja": "外部委託先にも同等の安全管理を契約で求め、定期的に確認します。",
        "en": "Outsourcees must apply equivalent security by contract, and we check them periodically.",
    },
    "responsible": {
        "ja": "情報セキュリティ最高責任者（CISO）が責任を負います。",
        "en": "The chief information security officer (CISO) is responsible.",
    },
}
EVIDENCE = [
    ("DOC-GOV-01", "system-risk-basic-policy.md", "システムリスク管理基本方針 2026", 300),
    ("DOC-GOV-05", "committee-minutes-2026-10.md", "情報セキュリティ委員会 議事録 2026-10", 180),
    ("DOC-CYB-03", "pentest-report-2026.md", "ペネトレーションテスト報告書 2026", 12),
    ("DOC-CUS-02", "withdrawal-thresholds.md", "入出金モニタリング基準", 150),
]


def _publish(code: str, body: dict[str, dict[str, str]]) -> None:
    from mamori.rulebook.services import policies

    document = PolicyDocument.objects.get(code=code)
    if document.versions.exists():
        return
    version = policies.save_draft(document, body, User.objects.get(username="ito"))
    request = policies.submit_for_publication(version, User.objects.get(username="ito"))
    for approver in ("takahashi", "sato"):
        approvals.decide(
            request.pk, User.objects.get(username=approver), "approve", "内容を確認 / reviewed"
        )


def load(report: DemoReport) -> None:
    """Publish both summaries, upload some evidence, run the checks (idempotent)."""
    from mamori.rulebook.services import controls, decisions, evidence, policies

    policies.ensure_documents()
    _publish("system-risk", SYSTEM_RISK)
    _publish("information-security", INFORMATION_SECURITY)
    uploader = User.objects.get(username="ito")
    owner = User.objects.get(username="takahashi")  # system general manager and CISO
    today = timezone.localdate()
    for code, filename, title, days in EVIDENCE:
        control = Control.objects.get(code=code)
        if Evidence.objects.filter(control=control).exists():
            continue
        text = f"# {title}\n\nDemo evidence for {control.code} ({control.name_en}).\n"
        item = evidence.store_evidence(
            control,
            io.BytesIO(text.encode("utf-8")),
            filename,
            title,
            uploader,
            valid_until=today + timedelta(days=days),
            period=(today - timedelta(days=365), today),
        )
        evidence.accept_evidence(
            item, owner, "内容を確認 / contents checked", list(item.claimed.all())
        )
    for code in ("AUD-01", "ACC-01", "RB-01", "RB-02"):
        control = Control.objects.get(code=code)
        if control.last_reviewed_at is None:
            controls.review_control(control, owner, "設計を確認 / design checked")
    controls.run_due()
    if not StatusDecision.objects.exists():
        decisions.request_decision(
            Requirement.objects.get(urn="urn:mamori:jvcea:srm:art23:p1"),
            "not_applicable",
            "システム統合の予定はない / no system integration is planned",
            User.objects.get(username="tanaka"),
        )
    report.lines.append(
        "Rulebook: both rules loaded; compliance at /rulebook/; public policy summaries at "
        "/public/policies/system-risk/ and /public/policies/information-security/"
    )
