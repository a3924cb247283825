"""Demo people of the fictional exchange さくらデジタル取引所 (Sakura Digital Exchange)."""

from __future__ import annotations

import base64
import hashlib

from django.db import transaction

from mamori.accounts.models import (
    Department,
    Organisation,
    Role,
    RoleAssignment,
    TotpDevice,
    User,
)
from mamori.accounts.services import mfa
from mamori.core.demo import DemoReport

DEMO_PASSWORD = "mamori-demo-2026"

DEPARTMENTS = [
    ("board", "取締役会", "Board of directors", None),
    ("management", "経営企画部", "Corporate planning", None),
    ("security", "情報セキュリティ室", "Information security office", "management"),
    ("systems", "システム部", "Systems", None),
    ("custody", "カストディ部", "Custody operations", None),
    ("risk", "リスク管理部", "Risk management", None),
    ("audit", "内部監査室", "Internal audit", None),
]

# username, display name, department, [(role, department or None)]
PEOPLE: list[tuple[str, str, str, list[tuple[str, str | None]]]] = [
    ("admin", "管理者 (Platform admin)", "management", [("read_only", None)]),
    ("sato", "佐藤 一郎", "board", [("board_member", None)]),
    ("suzuki", "鈴木 花子", "board", [("board_member", None)]),
    ("takahashi", "高橋 健", "systems", [("system_general_manager", None), ("ciso", None)]),
    (
        "tanaka",
        "田中 美咲",
        "systems",
        [("dept_system_manager", "systems"), ("risk_owner", "systems")],
    ),
    (
        "ito",
        "伊藤 翔",
        "security",
        [("dept_information_manager", "security"), ("csirt_member", None)],
    ),
    (
        "watanabe",
        "渡辺 彩",
        "custody",
        [("key_holder", "custody"), ("custody_operator", "custody")],
    ),
    ("yamamoto", "山本 大輔", "custody", [("key_holder", "custody"), ("risk_owner", "custody")]),
    ("nakamura", "中村 陽菜", "systems", [("developer", "systems")]),
    ("kobayashi", "小林 蓮", "systems", [("operator", "systems")]),
    ("kato", "加藤 結衣", "audit", [("internal_auditor", None)]),
]


def demo_secret(username: str) -> str:
    """Return the fixed TOTP seed of a demo account (so the README can show it)."""
    digest = hashlib.sha256(f"mamori demo {username}".encode()).digest()[:20]
    return base64.b32encode(digest).decode("ascii")


def load(report: DemoReport) -> None:
    """Create the departments, people, roles and enrolled authenticators (idempotent)."""
    with transaction.atomic():
        if Organisation.current() is None:
            Organisation.objects.create(
                name_ja="さくらデジタル取引所", name_en="Sakura Digital Exchange"
            )
        departments: dict[str, Department] = {}
        for code, name_ja, name_en, parent in DEPARTMENTS:
            departments[code], _ = Department.objects.get_or_create(
                code=code,
                defaults={
                    "name_ja": name_ja,
                    "name_en": name_en,
                    "parent": departments.get(parent) if parent else None,
                },
            )
        for username, display_name, department, roles in PEOPLE:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "display_name": display_name,
                    "department": departments[department],
                    "is_superuser": username == "admin",
                    "is_staff": True,
                    "email": f"{username}@sakura-dex.example",
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                mfa.start_enrolment(user, secret=demo_secret(username))
                TotpDevice.objects.filter(user=user).update(confirmed_at=user.date_joined)
            for role_code, role_department in roles:
                RoleAssignment.objects.get_or_create(
                    user=user,
                    role=Role.objects.get(code=role_code),
                    department=departments[role_department] if role_department else None,
                    revoked_at=None,
                )
            labels = ", ".join(Role.objects.get(code=code).name_en for code, _ in roles)
            report.accounts.append((username, labels, demo_secret(username)))


def load_approvals(report: DemoReport) -> None:
    """Leave a key-holder grant half approved and an access review open (idempotent)."""
    from mamori.accounts.models import AccessReview, ApprovalRequest
    from mamori.accounts.services import approvals, roles

    if not ApprovalRequest.objects.exists():
        request = roles.assign(
            User.objects.get(username="kobayashi"),
            Role.objects.get(code="key_holder"),
            Department.objects.get(code="custody"),
            User.objects.get(username="tanaka"),
        )
        approvals.decide(
            request.pk,
            User.objects.get(username="ito"),
            "approve",
            "本人確認と研修修了を確認済み / identity and training checked",
        )
        report.lines.append(
            "An approval waits for takahashi: Approvals → key-holder grant to kobayashi."
        )
    if not AccessReview.objects.exists():
        for username, manager in [
            ("nakamura", "tanaka"),
            ("kobayashi", "tanaka"),
            ("watanabe", "yamamoto"),
            ("ito", "takahashi"),
        ]:
            User.objects.filter(username=username).update(
                manager=User.objects.get(username=manager)
            )
        roles.open_access_review()
