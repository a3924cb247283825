"""Risk criteria versions and assessments fixed to them (ISM 12-1, 13).

A criteria version that an assessment uses is never edited in place: that would silently move
the levels of risks already rated under it. A change is saved as the next version, and a new
assessment can start under it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from mamori.accounts.models import User
from mamori.engines.risk import Matrix, MatrixError, changed_cells, default_matrix_data
from mamori.risk.models import Assessment, RiskMatrix
from mamori.risk.services import RiskRefused

__all__ = ["complete", "default_matrix", "edit_matrix", "new_version", "start_assessment"]

DEFAULT_CRITERIA_JA = (
    "年1回及び重大な変化があった時に、全ての情報資産について脅威と脆弱性を洗い出し、"
    "5段階の発生可能性と影響度で評価する。受容水準（中）を超えるリスクは対応を決めて"
    "受容水準以内に下げる。"
)
DEFAULT_CRITERIA_EN = (
    "Yearly and on any significant change, threats and vulnerabilities of every information "
    "asset are identified and rated on five-step likelihood and impact scales. Risks above the "
    "acceptance level (medium) are treated until within it."
)


def _checked(data: dict[str, Any]) -> Matrix:
    try:
        return Matrix.from_data(data)
    except MatrixError as error:
        raise RiskRefused("bad_matrix", str(error)) from None


def default_matrix() -> RiskMatrix:
    """Return the starter 5×5 criteria (version 1 of ``default``), creating it once."""
    row, _ = RiskMatrix.objects.get_or_create(
        code="default",
        version=1,
        defaults={
            "name_ja": "標準リスク基準 5×5",
            "name_en": "Standard 5×5 risk criteria",
            "data": default_matrix_data(),
            "criteria_ja": DEFAULT_CRITERIA_JA,
            "criteria_en": DEFAULT_CRITERIA_EN,
        },
    )
    return row


def edit_matrix(row: RiskMatrix, data: dict[str, Any], by: User) -> RiskMatrix:
    """Change a version nobody uses yet; refuse (naming the cells that would move) if one is."""
    new = _checked(data)
    with transaction.atomic():
        row = RiskMatrix.objects.select_for_update().get(pk=row.pk)
        used = list(row.assessments.values_list("name", flat=True)[:5])
        if used:
            moved = changed_cells(row.matrix(), new)
            cells = ", ".join(f"L{lk}×I{im} {old}→{to}" for lk, im, old, to in moved[:10])
            raise RiskRefused(
                "matrix_in_use",
                f"version {row.version} of {row.code} is used by assessment "
                f"{', '.join(used)}; editing it would "
                + (f"move {len(moved)} cell(s) ({cells})" if moved else "change its criteria")
                + f": save the change as version {_next_version(row.code)} instead",
            )
        row.data = new.to_data()
        row.created_by = by
        row.save(update_fields=["data", "created_by"])
    return row


def _next_version(code: str) -> int:
    latest = RiskMatrix.objects.filter(code=code).aggregate(v=Max("version"))["v"]
    return int(latest or 0) + 1


def new_version(
    code: str, data: dict[str, Any], by: User, criteria_ja: str = "", criteria_en: str = ""
) -> RiskMatrix:
    """Save ``data`` as the next version of the criteria ``code``."""
    matrix = _checked(data)
    with transaction.atomic():
        previous = RiskMatrix.objects.filter(code=code).order_by("-version").first()
        return RiskMatrix.objects.create(
            code=code,
            version=_next_version(code),
            name_ja=previous.name_ja if previous else code,
            name_en=previous.name_en if previous else code,
            data=matrix.to_data(),
            criteria_ja=criteria_ja or (previous.criteria_ja if previous else ""),
            criteria_en=criteria_en or (previous.criteria_en if previous else ""),
            created_by=by,
        )


def start_assessment(
    name: str, matrix: RiskMatrix, lead: User, context_ja: str = "", context_en: str = ""
) -> Assessment:
    """Start an assessment fixed to ``matrix`` (ISM 12-1, 13)."""
    if not name.strip():
        raise RiskRefused("bad_assessment", "an assessment needs a name")
    _checked(matrix.data)
    return Assessment.objects.create(
        name=name.strip(), matrix=matrix, lead=lead, context_ja=context_ja, context_en=context_en
    )


def complete(assessment: Assessment) -> Assessment:
    """Mark ``assessment`` completed once every risk has a decided treatment."""
    if assessment.status == Assessment.Status.COMPLETED:
        raise RiskRefused("completed", f"assessment {assessment.name} is already completed")
    undecided = [
        s.code
        for s in assessment.scenarios.select_related("treatment")
        if not getattr(getattr(s, "treatment", None), "decided_option", "")
    ]
    if undecided or not assessment.scenarios.exists():
        raise RiskRefused(
            "undecided",
            "an assessment is completed when every risk has a decided treatment; still open: "
            + (", ".join(undecided) or "no risk analysed yet"),
        )
    assessment.status = Assessment.Status.COMPLETED
    assessment.completed_at = timezone.now()
    assessment.save(update_fields=["status", "completed_at"])
    return assessment
