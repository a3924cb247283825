"""Demo data of quality management and the deploy gate (SRM 16, 18, 19, 20): the matching
engine's quality plan, secure-coding standard v1, and a release of the matching engine whose
build meets every criterion but one — coverage 78 % against 80 % — so the gate answers
*no-go* with that one reason."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.utils import timezone

from mamori.accounts.models import Department, User
from mamori.core.demo import DemoReport
from mamori.operations import demo_changes
from mamori.operations.models import (
    AcceptanceInspection,
    Build,
    Change,
    Evidence,
    GateDecision,
    System,
)
from mamori.operations.services import gate, quality

SYSTEM = "matching-engine"
#: the release the changes demo brought to acceptance (its approvals and inspection given)
TITLE = demo_changes.RELEASE_TITLE
REFERENCE = "CHG-2026-ME42"
DIGEST = demo_changes.DIGEST
COMMIT = hashlib.sha1(b"matching-engine v4.2.0", usedforsecurity=False).hexdigest()
CRITERIA = [
    ("tests_failed", "", "0"),
    ("coverage", "", "80"),
    ("vulnerabilities", "critical", "0"),
    ("vulnerabilities", "high", "0"),
    ("static_analysis", "error", "0"),
    ("performance", "p99_order_latency_ms", "5"),
    ("security_review", "", "0"),
]
EVIDENCE = [
    ("tests", "junit", {"tests": 1284, "failures": 0, "errors": 0, "skipped": 3}),
    ("coverage", "cobertura", {"lines_covered": 7800, "lines_valid": 10000}),
    (
        "static_analysis",
        "sarif",
        {"by_level": {"error": 0, "warning": 4, "note": 11, "none": 0}},
    ),
    (
        "vulnerabilities",
        "osv",
        {"by_severity": {"critical": 0, "high": 0, "medium": 1, "low": 2, "unknown": 0}},
    ),
    ("performance", "k6", {"metrics": {"p99_order_latency_ms": "3.2"}}),
]
STANDARD = """# セキュアコーディング基準 / Secure-coding standard

1. 入力はすべて検証する（型・長さ・範囲） / Validate every input (type, length, range).
2. SQL はパラメータ化する / Parameterise every SQL statement.
3. 秘密情報をコード・ログに残さない / No secret in code or logs.
4. 金額は整数または Decimal（float 禁止） / Amounts as integers or Decimal, never float.
5. 依存関係は固定し脆弱性を検査する / Pin dependencies and scan them for vulnerabilities.
"""


def _system(people: dict[str, User]) -> System:
    department = Department.objects.filter(code="systems").first() or Department.objects.first()
    system, _created = System.objects.get_or_create(
        code=SYSTEM,
        defaults={
            "name_ja": "マッチングエンジン",
            "name_en": "Matching engine",
            "description": "注文の付け合わせ / matches customers' orders",
            "department": department,
            "system_manager": people.get("tanaka"),
            "criticality": System.Criticality.HIGH,
        },
    )
    return system


def _change(system: System, developer: User) -> Change:
    change = Change.objects.filter(title=TITLE).first()
    if change is None:
        change = Change.objects.create(
            reference=REFERENCE,
            title=TITLE,
            description="約定ロジックの改善 / improved matching logic",
            stage=Change.Stage.ACCEPTANCE,
            responsible=developer,
            created_by=developer,
            created_at=timezone.now(),
        )
    change.systems.add(system)
    return change


def _evidence(change: Change) -> None:
    now = timezone.now()
    build, _created = Build.objects.get_or_create(
        change=change, artifact_digest=DIGEST, defaults={"commit": COMMIT, "created_at": now}
    )
    for kind, fmt, summary in EVIDENCE:
        Evidence.objects.get_or_create(
            build=build,
            sha256=hashlib.sha256(f"{DIGEST} {kind}".encode()).hexdigest(),
            defaults={
                "kind": kind,
                "format": fmt,
                "size": 2048,
                "summary": summary,
                "source": "demo",
                "received_at": now,
            },
        )


def load(report: DemoReport) -> None:
    """Set the matching engine's quality plan and ask the gate for its release (idempotent)."""
    people = {u.username: u for u in User.objects.all()}
    if not {"takahashi", "nakamura", "ito", "tanaka"} <= set(people):
        return
    if GateDecision.objects.filter(change__title=TITLE).exists():
        return
    sgm, developer = people["takahashi"], people["nakamura"]
    system = _system(people)
    for metric, level, threshold in CRITERIA:
        quality.add_criterion(system, metric, level, Decimal(threshold), sgm)
    if quality.current_standard() is None:
        quality.publish_standard("セキュアコーディング基準 / Secure-coding standard", STANDARD, sgm)
    change = _change(system, developer)
    _evidence(change)
    AcceptanceInspection.objects.get_or_create(
        change=change,
        artifact_digest=DIGEST,
        defaults={
            "practical_tests": "本番相当環境で注文 10 万件を再生 / replayed 100,000 orders on "
            "a production-like environment",
            "decision": AcceptanceInspection.Decision.GO,
            "decided_by": people["tanaka"],
            "decided_at": timezone.now(),
        },
    )
    if not change.security_reviews.exists():
        quality.record_security_review(
            change, people["ito"], "認証・入力検証を確認 / authentication and input checks reviewed"
        )
    quality.attest(change, developer, "基準に従って実装 / implemented following the standard")
    decision = gate.decide(change, DIGEST, developer, via="demo")
    report.lines.append(
        f"Deploy gate: {change.reference} (matching engine) answered {decision.outcome} — "
        "coverage 78 % against the plan's 80 % — see "
        f"/operations/changes/{change.reference}/gate/ and /operations/quality/"
    )
