"""Quality plans, the secure-coding standard and its attestations, security reviews, freeze
windows and manual performance measurements (SRM 15, 16, 17, 18, 19).

Every write records who and when; a refusal says what is wrong in the reader's language.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import User
from mamori.core.errors import Refused
from mamori.operations.models import (
    Build,
    Change,
    Evidence,
    FreezeWindow,
    QualityCriterion,
    QualityPlan,
    SecureCodingAttestation,
    SecureCodingStandard,
    SecurityReview,
    System,
)

__all__ = [
    "LEVELS",
    "PERFORMANCE_KIND",
    "QualityRefused",
    "add_criterion",
    "add_freeze",
    "attest",
    "current_standard",
    "plan_for",
    "publish_standard",
    "record_performance",
    "record_security_review",
    "remove_criterion",
]

#: The evidence kind of a performance measurement: ``summary = {"metrics": {name: "12.5"}}``
#: (numbers as decimal strings or integers), sent by the pipeline or recorded by hand.
PERFORMANCE_KIND = Evidence.Kind.PERFORMANCE.value
#: The levels a criterion of each metric may name (performance: any metric name).
LEVELS: dict[str, tuple[str, ...]] = {
    QualityCriterion.Metric.VULNERABILITIES: ("critical", "high", "medium", "low", "unknown"),
    QualityCriterion.Metric.STATIC_ANALYSIS: ("error", "warning", "note", "none"),
}
_METRIC_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,60}$")


class QualityRefused(Refused):
    """A quality-plan, standard, attestation, review or freeze-window write refused."""


def plan_for(system: System, by: User) -> QualityPlan:
    """Return ``system``'s quality plan, made (empty) if it has none."""
    plan, _created = QualityPlan.objects.get_or_create(
        system=system, defaults={"updated_at": timezone.now(), "updated_by": by}
    )
    return plan


def add_criterion(
    system: System, metric: str, level: str, threshold: Decimal | str | int, by: User
) -> QualityCriterion:
    """Add (or re-set) one criterion of ``system``'s plan; refuse an unknown metric or level
    and a negative threshold (coverage: 0 to 100)."""
    if metric not in QualityCriterion.Metric.values:
        raise QualityRefused(
            "bad_metric",
            _("Expected a metric in %(values)s, got %(value)s.")
            % {"values": ", ".join(QualityCriterion.Metric.values), "value": metric[:40]},
            fields=[("metric", _("Unknown value."))],
        )
    level = level.strip()
    allowed = LEVELS.get(metric)
    if allowed is not None and level not in allowed:
        raise QualityRefused(
            "bad_level",
            _("Expected a level in %(values)s, got %(value)s.")
            % {"values": ", ".join(allowed), "value": level[:40] or "—"},
            fields=[("level", _("Unknown value."))],
        )
    if metric == QualityCriterion.Metric.PERFORMANCE and not _METRIC_NAME.match(level):
        raise QualityRefused(
            "bad_level",
            _("Name the performance metric (letters, digits, _ . : -)."),
            fields=[("level", _("This field is required."))],
        )
    if allowed is None and metric != QualityCriterion.Metric.PERFORMANCE:
        level = ""
    value = _decimal(threshold, "threshold")
    if value < 0 or (metric == QualityCriterion.Metric.COVERAGE and value > 100):
        raise QualityRefused(
            "bad_threshold",
            _("The threshold must be at least 0 (coverage: at most 100)."),
            fields=[("threshold", _("Out of range."))],
        )
    with transaction.atomic():
        plan = plan_for(system, by)
        criterion, _created = QualityCriterion.objects.update_or_create(
            plan=plan, metric=metric, level=level, defaults={"threshold": value}
        )
        plan.updated_at, plan.updated_by = timezone.now(), by
        plan.save(update_fields=["updated_at", "updated_by"])
    return criterion


def remove_criterion(criterion: QualityCriterion, by: User) -> None:
    """Remove one criterion from its plan."""
    with transaction.atomic():
        plan = criterion.plan
        criterion.delete()
        plan.updated_at, plan.updated_by = timezone.now(), by
        plan.save(update_fields=["updated_at", "updated_by"])


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = Decimal("NaN")
    if not number.is_finite():
        raise QualityRefused(
            "bad_number",
            _("Expected a number, got %(value)s.") % {"value": str(value)[:40]},
            fields=[(field, _("Enter a number."))],
        )
    return number


def current_standard() -> SecureCodingStandard | None:
    """Return the secure-coding standard in force (the newest version), if any."""
    return SecureCodingStandard.objects.filter(superseded_at__isnull=True).first()


def publish_standard(title: str, text: str, by: User) -> SecureCodingStandard:
    """Publish a new version of the secure-coding standard; it supersedes the previous one."""
    if not text.strip() or not title.strip():
        raise QualityRefused(
            "text_required",
            _("A version needs a title and its text."),
            fields=[("text", _("This field is required."))],
        )
    now = timezone.now()
    with transaction.atomic():
        last = SecureCodingStandard.objects.select_for_update().order_by("-version").first()
        SecureCodingStandard.objects.filter(superseded_at__isnull=True).update(superseded_at=now)
        return SecureCodingStandard.objects.create(
            version=(last.version + 1) if last else 1,
            title=title.strip(),
            text=text,
            published_at=now,
            published_by=by,
        )


def attest(change: Change, by: User, statement: str = "") -> SecureCodingAttestation:
    """Record that ``change`` follows the current standard; only its responsible person may
    attest, and only when a standard is in force."""
    if by.pk != change.responsible_id:
        raise QualityRefused(
            "not_responsible",
            _("Only the person responsible for %(change)s attests to the standard.")
            % {"change": change.reference},
            status=403,
        )
    standard = current_standard()
    if standard is None:
        raise QualityRefused(
            "no_standard", _("No secure-coding standard is published yet."), status=409
        )
    found, _created = SecureCodingAttestation.objects.get_or_create(
        change=change,
        standard=standard,
        defaults={"attested_by": by, "attested_at": timezone.now(), "statement": statement},
    )
    return found


def record_security_review(change: Change, by: User, notes: str) -> SecurityReview:
    """Record a security review of ``change`` by someone other than its responsible person."""
    if by.pk == change.responsible_id:
        raise QualityRefused(
            "own_change",
            _("The person responsible for a change cannot review its security."),
            status=403,
        )
    if not notes.strip():
        raise QualityRefused(
            "notes_required",
            _("Say what was reviewed and found."),
            fields=[("notes", _("This field is required."))],
        )
    return SecurityReview.objects.create(
        change=change, reviewed_by=by, reviewed_at=timezone.now(), notes=notes
    )


def add_freeze(
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    systems: list[System],
    by: User,
    *,
    all_systems: bool = False,
) -> FreezeWindow:
    """Add a freeze window for ``systems`` (or all); refuse one that ends before it starts or
    names no system."""
    if ends_at <= starts_at:
        raise QualityRefused(
            "bad_window",
            _("A freeze window ends after it starts."),
            fields=[("ends_at", _("Must be after the start."))],
        )
    if not all_systems and not systems:
        raise QualityRefused(
            "no_systems",
            _("Name the systems the freeze covers, or tick all systems."),
            fields=[("systems", _("This field is required."))],
        )
    if not reason.strip():
        raise QualityRefused(
            "reason_required",
            _("Give the reason for the freeze."),
            fields=[("reason", _("This field is required."))],
        )
    with transaction.atomic():
        window = FreezeWindow.objects.create(
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason.strip(),
            all_systems=all_systems,
            created_by=by,
            created_at=timezone.now(),
        )
        if not all_systems:
            window.systems.set(systems)
    return window


def record_performance(
    change: Change, artifact_digest: str, metric: str, value: Decimal | str, by: User
) -> Evidence:
    """Record a performance measurement of a build by hand, as evidence of kind
    :data:`PERFORMANCE_KIND` (source ``manual``) for that exact digest."""
    if not _METRIC_NAME.match(metric):
        raise QualityRefused(
            "bad_level",
            _("Name the performance metric (letters, digits, _ . : -)."),
            fields=[("metric", _("This field is required."))],
        )
    from mamori.operations.services.gate import check_digest

    artifact_digest = check_digest(artifact_digest)
    number = _decimal(value, "value")
    now = timezone.now()
    summary = {"metrics": {metric: str(number)}, "recorded_by": by.get_username()}
    body = json.dumps(summary, sort_keys=True).encode()
    with transaction.atomic():
        build, _created = Build.objects.get_or_create(
            change=change,
            artifact_digest=artifact_digest,
            defaults={"commit": "", "created_at": now},
        )
        evidence, _created = Evidence.objects.get_or_create(
            build=build,
            sha256=hashlib.sha256(body + now.isoformat().encode()).hexdigest(),
            defaults={
                "kind": PERFORMANCE_KIND,
                "format": "manual",
                "size": len(body),
                "summary": summary,
                "source": "manual",
                "received_at": now,
            },
        )
    return evidence
