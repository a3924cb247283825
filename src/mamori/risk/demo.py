"""Demo data of risk management: the 2026 assessment of さくらデジタル取引所.

The inventory holds customers' data, keys, and the three ISM 21-2 places; six risks are
analysed (hot-wallet key theft, blind signing as at Bybit, an altered request as at DMM,
leaked dumps, ransomware, insider), the security team recommended, the owners decided, and
plan version 1 was approved by the committee and now waits for the board (sato, suzuki).
After the board, the owners tanaka and yamamoto sign off their residual risks. R-01 is linked
to custody halts and reconciliation results: the demo's drain and ETH difference flag it for
review.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from mamori.accounts.models import Department, User
from mamori.accounts.services import approvals
from mamori.core.demo import DemoReport
from mamori.engines.risk import Rating
from mamori.risk.models import (
    Assessment,
    ExternalIncident,
    InformationAsset,
    MonitoringLink,
    Threat,
    Vulnerability,
)
from mamori.risk.services import criteria, plans, scenarios
from mamori.rulebook.models import Control

# code, ja, en, kind, classification, value, owner, department, place, location,
# data categories, confidential kinds (ISM 24-1)
ASSETS: list[tuple[str, str, str, str, str, int, str, str, str, str, list[str], list[str]]] = [
    (
        "customer-db",
        "顧客データベース",
        "Customer database",
        "information",
        "secret",
        5,
        "tanaka",
        "systems",
        "cloud",
        "本番DB ap-northeast-1",
        ["customer_personal", "customer_confidential"],
        [],
    ),
    (
        "hot-wallet-keys",
        "ホットウォレット秘密鍵",
        "Hot-wallet private keys",
        "key",
        "secret",
        5,
        "yamamoto",
        "custody",
        "system",
        "HSM（東京DC）",
        ["keys"],
        [],
    ),
    (
        "cold-wallet-seeds",
        "コールドウォレットのシード",
        "Cold-wallet seeds",
        "key",
        "secret",
        5,
        "yamamoto",
        "custody",
        "paper",
        "金庫（大阪）",
        ["keys"],
        [],
    ),
    (
        "signing-system",
        "送金署名システム",
        "Transfer signing system",
        "system",
        "confidential",
        5,
        "tanaka",
        "systems",
        "system",
        "署名サーバ（東京DC）",
        [],
        [],
    ),
    (
        "trading-engine",
        "取引システム",
        "Trading engine",
        "system",
        "confidential",
        4,
        "tanaka",
        "systems",
        "cloud",
        "ap-northeast-1",
        ["customer_confidential"],
        [],
    ),
    (
        "old-dr-volume",
        "旧DR環境の未使用ディスク領域",
        "Unused disk area of the old DR site",
        "information",
        "confidential",
        4,
        "tanaka",
        "systems",
        "unused_area",
        "旧DRサーバ /dev/sdb",
        ["customer_personal"],
        [],
    ),
    (
        "crash-dumps",
        "障害解析用ダンプ",
        "Diagnostic dumps",
        "information",
        "confidential",
        4,
        "tanaka",
        "systems",
        "diagnostic",
        "取引システム /var/crash",
        ["customer_personal", "customer_confidential"],
        [],
    ),
    (
        "kyc-archive",
        "本人確認書類の保管文書",
        "Archived identity documents",
        "document",
        "secret",
        4,
        "ito",
        "security",
        "archive",
        "外部倉庫 保管箱 K-12",
        ["customer_personal"],
        [],
    ),
]

# code, ja, en, threat, assets, vulnerabilities, incidents, owner, inherent, current,
# recommended option, controls, residual
SCENARIOS = [
    (
        "R-01",
        "ホットウォレット秘密鍵の窃取による流出",
        "Drain after theft of hot-wallet keys",
        "hot-wallet-key-theft",
        ["hot-wallet-keys"],
        ["single-signature", "excess-hot-balance"],
        ["coincheck-2018", "zaif-2018"],
        "yamamoto",
        (4, 5),
        (3, 5),
        "reduce",
        ["CUS-01", "CUS-02"],
        (1, 4),
    ),
    (
        "R-02",
        "署名画面の改ざんによる誤署名",
        "Signing a transfer other than the one shown",
        "blind-signing",
        ["signing-system", "hot-wallet-keys"],
        ["no-transfer-verification"],
        ["bybit-2025"],
        "tanaka",
        (3, 5),
        (3, 5),
        "reduce",
        [],
        (1, 4),
    ),
    (
        "R-03",
        "改ざんされた送金依頼への署名",
        "Signing an altered transfer request",
        "signer-compromise",
        ["signing-system"],
        ["vendor-oversight-gap", "no-transfer-verification"],
        ["dmm-2024"],
        "yamamoto",
        (3, 5),
        (2, 5),
        "reduce",
        [],
        (1, 4),
    ),
    (
        "R-04",
        "障害解析用ダンプからの顧客情報漏えい",
        "Customer data leaked from diagnostic dumps",
        "leaked-backup",
        ["crash-dumps", "old-dr-volume"],
        ["unencrypted-dumps"],
        [],
        "tanaka",
        (3, 4),
        (3, 4),
        "reduce",
        [],
        (2, 3),
    ),
    (
        "R-05",
        "ランサムウェアによる業務停止",
        "Business stopped by ransomware",
        "ransomware",
        ["trading-engine", "customer-db"],
        ["unpatched-systems"],
        [],
        "tanaka",
        (3, 4),
        (2, 4),
        "share",
        [],
        (2, 3),
    ),
    (
        "R-06",
        "鍵にアクセスできる内部者の不正",
        "Insider misuse of key access",
        "insider-key-access",
        ["cold-wallet-seeds", "hot-wallet-keys"],
        ["shared-admin-accounts"],
        [],
        "yamamoto",
        (2, 5),
        (1, 4),
        "accept",
        [],
        (1, 4),
    ),
]

RATIONALE = (
    "受容水準（中）以内に下げるため、既存管理策の実効性と他社事例を踏まえて選定。"
    " / Chosen to bring the risk within the acceptance level (medium), in the light of the "
    "existing controls and incidents at other firms."
)


def _assets() -> None:
    for code, ja, en, kind, cls, value, owner, dept, place, where, cats, kinds in ASSETS:
        InformationAsset.objects.get_or_create(
            code=code,
            defaults={
                "name_ja": ja,
                "name_en": en,
                "kind": kind,
                "classification": cls,
                "value": value,
                "owner": User.objects.get(username=owner),
                "custodian": Department.objects.get(code=dept),
                "location_kind": place,
                "location": where,
                "categories": cats,
                "confidential_kinds": kinds,
            },
        )


def _controls(codes: list[str]) -> list[Control]:
    return list(Control.objects.filter(code__in=codes))


def load(report: DemoReport) -> None:
    """Create the assessment, risks, treatments and plan v1 half approved (idempotent)."""
    if Assessment.objects.exists():
        return
    ito = User.objects.get(username="ito")
    tanaka = User.objects.get(username="tanaka")
    with transaction.atomic():
        _assets()
        assessment = criteria.start_assessment(
            "2026年度 情報セキュリティリスクアセスメント",
            criteria.default_matrix(),
            User.objects.get(username="takahashi"),
            "暗号資産交換業者への攻撃が続く（2024年 DMM Bitcoin、2025年 Bybit）。ホットウォレットと署名系を重点とする。",
            "Attacks on exchanges continue (DMM Bitcoin 2024, Bybit 2025); hot wallets and signing are the focus.",
        )
        baseline = _controls(["CUS-01", "CUS-02", "DOC-CUS-01"]) or list(Control.objects.all()[:1])
        for (
            code,
            ja,
            en,
            threat,
            assets,
            vulns,
            incidents,
            owner,
            inh,
            cur,
            option,
            ctrl,
            res,
        ) in SCENARIOS:
            person = User.objects.get(username=owner)
            scenario = scenarios.create(
                assessment,
                scenarios.ScenarioInput(
                    code=code,
                    name_ja=ja,
                    name_en=en,
                    threat=Threat.objects.get(code=threat),
                    assets=list(InformationAsset.objects.filter(code__in=assets)),
                    owner=person,
                    approach="baseline" if code == "R-01" else "informal",
                    approach_note=""
                    if code == "R-01"
                    else "CSIRT と取引システム担当の合議 / judgement of CSIRT and the trading team",
                    inherent=Rating(*inh),
                    current=Rating(*cur),
                    vulnerabilities=list(Vulnerability.objects.filter(code__in=vulns)),
                    incidents=list(ExternalIncident.objects.filter(code__in=incidents)),
                    baseline_controls=baseline if code == "R-01" else [],
                ),
                ito,
            )
            scenarios.recommend(
                scenario,
                option,
                "署名前検証と多重署名の強化 / verify before signing, stronger multisig",
                _controls(ctrl) or baseline,
                "署名内容の独立表示端末 / independent display of what is signed"
                if code in ("R-02", "R-03")
                else "",
                ito,
            )
            scenarios.decide(scenario, option, Rating(*res), RATIONALE, person)
            if option != "accept":
                scenarios.add_action(
                    scenario.treatment,
                    f"{en}: implement the chosen controls",
                    person,
                    date(2027, 3, 31),
                    3_000_000 if code in ("R-01", "R-02") else 800_000,
                    ito,
                )
            if code == "R-01":
                MonitoringLink.objects.create(
                    scenario=scenario, kind=MonitoringLink.Kind.CUSTODY_HALT, effect="flag"
                )
                MonitoringLink.objects.create(
                    scenario=scenario, kind=MonitoringLink.Kind.RECONCILIATION, effect="flag"
                )
        plan = plans.submit(assessment, tanaka)
    for approver in ("takahashi", "ito"):
        approvals.decide(
            plan.approval_id,  # type: ignore[arg-type]
            User.objects.get(username=approver),
            "approve",
            "委員会で審議済み / discussed by the committee",
        )
    report.lines.append(
        "Risk: plan v1 waits for the board (sato, suzuki: Approvals); then tanaka and yamamoto "
        "sign off at Risk management → My residual risks."
    )
