"""Demo data of the systems register, the development plan and changes (SRM 4-6, 11, 20):
さくらデジタル取引所's systems, this year's development plan approved by the committee and the
board, and the matching engine's release 2026.12 at its acceptance stage — approvals given and
the acceptance inspection decided fit for use — waiting for its release."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from mamori.accounts.models import Department, User
from mamori.accounts.services import approvals
from mamori.core.demo import DemoReport
from mamori.operations.models import Change, DevelopmentPlan, System
from mamori.operations.services import changes, devplans

SYSTEMS = [
    (
        "matching-engine",
        "マッチングエンジン",
        "Matching engine",
        "high",
        "注文の約定 / order matching",
    ),
    (
        "wallet-service",
        "ウォレットサービス",
        "Wallet service",
        "high",
        "入出庫と署名 / deposits, withdrawals, signing",
    ),
    (
        "web",
        "取引画面（Web）",
        "Trading web front end",
        "medium",
        "顧客向け画面 / customer front end",
    ),
    ("kyc", "本人確認システム", "KYC system", "medium", "口座開設の本人確認 / identity checks"),
    (
        "db",
        "顧客・残高データベース",
        "Customer and balance database",
        "high",
        "顧客情報と残高 / customers and balances",
    ),
]
RELEASE_TITLE = "マッチングエンジン リリース 2026.12 / matching engine release 2026.12"
DIGEST = "sha256:4f1c2a9e0b7d3c58a6e1f2d3c4b5a6978877665544332211ffeeddccbbaa9988"


def _systems(people: dict[str, User]) -> dict[str, System]:
    department = Department.objects.filter(code="systems").first() or Department.objects.first()
    found = {}
    for code, name_ja, name_en, criticality, purpose in SYSTEMS:
        found[code], _created = System.objects.get_or_create(
            code=code,
            defaults={
                "name_ja": name_ja,
                "name_en": name_en,
                "description": purpose,
                "department": department,
                "system_manager": people["tanaka"],
                "criticality": criticality,
            },
        )
    return found


def _plan(people: dict[str, User], systems: dict[str, System]) -> None:
    year = timezone.localdate().year
    plan, _created = DevelopmentPlan.objects.get_or_create(
        code=f"devplan-{year}",
        defaults={"title": f"{year}年度 中長期開発計画 / {year} development plan"},
    )
    tanaka, nakamura = people["tanaka"], people["nakamura"]
    version = devplans.save_version(
        plan,
        tanaka,
        starts_on=date(year, 1, 1),
        ends_on=date(year + 2, 12, 31),
        strategy="経営戦略「安全な取引基盤」に基づくシステム戦略方針 / "
        "system strategy under the management strategy 'a safe trading platform'",
        strategy_url="https://example.jp/strategy/system-strategy",
        projects=[
            {
                "name": "マッチングエンジン刷新 / Matching engine renewal",
                "responsible": nakamura,
                "system": systems["matching-engine"],
                "budget_jpy": Decimal("120000000"),
                "starts_on": date(year, 1, 1),
                "ends_on": date(year, 12, 31),
            },
            {
                "name": "コールドウォレット多重署名化 / Cold wallet multisig",
                "responsible": tanaka,
                "system": systems["wallet-service"],
                "budget_jpy": Decimal("45000000"),
                "starts_on": date(year, 4, 1),
                "ends_on": date(year + 1, 3, 31),
            },
        ],
    )
    request = devplans.submit(version, tanaka)
    for approver in ("takahashi", "ito", "sato", "suzuki"):
        approvals.decide(request.pk, people[approver], "approve", "承認 / approved")


def _release(people: dict[str, User], systems: dict[str, System]) -> Change:
    today = timezone.localdate()
    tanaka, nakamura = people["tanaka"], people["nakamura"]
    change = changes.create(
        tanaka,
        title=RELEASE_TITLE,
        kind=Change.Kind.NORMAL,
        category=Change.Category.CHANGE,
        responsible=nakamura,
        systems=[systems["matching-engine"]],
        planned={
            "design": today - timedelta(days=40),
            "build": today - timedelta(days=30),
            "test": today - timedelta(days=14),
            "acceptance": today - timedelta(days=3),
            "release": today + timedelta(days=2),
            "review": today + timedelta(days=16),
        },
        description="約定ロジックの性能改善と板情報配信の変更 / faster matching, new book feed",
    )
    for stage in ("design", "build", "release"):
        asked = changes.request_approval(change, stage, nakamura)
        for approver in ("tanaka", "takahashi")[: 2 if stage == "release" else 1]:
            approvals.decide(asked.approval_id, people[approver], "approve", "確認 / reviewed")
    for _stage in ("design", "build", "test", "acceptance"):
        change = changes.advance(change, nakamura)
    changes.inspect(
        change,
        tanaka,
        artifact_digest=DIGEST,
        practical_tests="本番相当環境での約定・板配信の実地テスト、負荷試験 / "
        "practical tests of matching and the book feed on the staging copy, load test",
        decision="go",
    )
    return change


def load(report: DemoReport) -> None:
    """Register the systems, approve this year's development plan, bring the matching
    engine's release to acceptance (idempotent)."""
    if DevelopmentPlan.objects.exists():
        return
    people = {u.username: u for u in User.objects.all()}
    if not {"tanaka", "nakamura", "takahashi", "ito", "sato", "suzuki"} <= set(people):
        return
    systems = _systems(people)
    _plan(people, systems)
    change = _release(people, systems)
    report.lines.append(
        f"Changes: five systems registered, this year's development plan approved by the "
        f"board, {change.reference} (matching engine release 2026.12) at acceptance — see "
        "/operations/systems/, /operations/devplans/, /operations/changes/"
    )
