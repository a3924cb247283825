"""The world the deploy-gate tests share (SRM 19, 20): a matching engine with its quality plan,
the secure-coding standard, a change attested and reviewed, an approval check registered, and
helpers storing evidence and inspections the way the other modules do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from mamori.accounts.models import Department
from mamori.operations.models import (
    AcceptanceInspection,
    Build,
    Change,
    Evidence,
    GateDecision,
    System,
)
from mamori.operations.services import gate, quality
from tests.conftest import give, make_user

A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64
GOOD = {
    "tests": {"tests": 120, "failures": 0, "errors": 0, "skipped": 1},
    "coverage": {"lines_covered": 850, "lines_valid": 1000},
    "static_analysis": {"by_level": {"error": 0, "warning": 2, "note": 5, "none": 0}},
    "vulnerabilities": {"by_severity": {"critical": 0, "high": 0, "medium": 1, "low": 0}},
    "performance": {"metrics": {"p99_ms": "4.5"}},
}


@dataclass(frozen=True)
class Approval:
    """A blocker as the change module's approval check gives it."""

    code: str
    message: str


@pytest.fixture
def approved(monkeypatch):
    """A trivial approval check: a change is approved unless its description says otherwise."""
    state = {"approved": True}

    def approval_blockers(change: Change) -> list[Approval]:
        return [] if state["approved"] else [Approval("approval_pending", "stage not approved")]

    monkeypatch.setattr(gate, "_CHECKS", [])
    gate.register_check(approval_blockers)
    return state


@pytest.fixture
def world(approved):
    department = Department.objects.create(code="sys", name_ja="システム部", name_en="Systems")
    people = {
        "sgm": give(make_user("sgm-kato"), "system_general_manager"),
        "ciso": give(make_user("ciso-hara"), "ciso"),
        "dev": give(make_user("dev-mori"), "developer"),
        "qa": give(make_user("qa-ueda"), "dept_system_manager"),
    }
    system = System.objects.create(
        code="matching-engine",
        name_ja="マッチングエンジン",
        name_en="Matching engine",
        department=department,
        criticality=System.Criticality.HIGH,
    )
    for metric, level, threshold in [
        ("tests_failed", "", "0"),
        ("coverage", "", "80"),
        ("vulnerabilities", "critical", "0"),
        ("static_analysis", "error", "0"),
        ("performance", "p99_ms", "5"),
        ("security_review", "", "0"),
    ]:
        quality.add_criterion(system, metric, level, Decimal(threshold), people["sgm"])
    quality.publish_standard("Secure coding", "1. Validate input.", people["sgm"])
    change = Change.objects.create(
        reference="CHG-2026-007",
        title="Matching engine 4.2",
        stage=Change.Stage.RELEASE,
        responsible=people["dev"],
        created_by=people["dev"],
        created_at=timezone.now(),
    )
    change.systems.add(system)
    quality.attest(change, people["dev"])
    quality.record_security_review(change, people["ciso"], "auth and input reviewed")
    return {"people": people, "system": system, "change": change}


def store(change: Change, digest: str, **overrides: dict) -> Build:
    """Store the pipeline's evidence for ``digest`` the way ingestion does."""
    build = Build.objects.create(
        change=change, artifact_digest=digest, commit="c0ffee", created_at=timezone.now()
    )
    for number, (kind, summary) in enumerate({**GOOD, **overrides}.items()):
        if summary is None:
            continue
        Evidence.objects.create(
            build=build,
            kind=kind,
            format="test",
            sha256=f"{number:064d}",
            size=100,
            summary=summary,
            source="api",
            received_at=timezone.now(),
        )
    return build


def inspect(change: Change, digest: str, by, decision: str = "go", minutes_ago: int = 0) -> None:
    AcceptanceInspection.objects.create(
        change=change,
        artifact_digest=digest,
        practical_tests="replayed a day of orders",
        decision=decision,
        decided_by=by,
        decided_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def codes(decision: GateDecision) -> list[str]:
    return [r["code"] for r in decision.reasons]


@pytest.fixture
def ready(world):
    """Digest A with good evidence and a go from the acceptance inspection."""
    store(world["change"], A)
    inspect(world["change"], A, world["people"]["qa"])
    return world
