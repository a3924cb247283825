"""Public policy summaries (SRM 4-4, ISM 5-1): drafted, approved, then published.

A version is published only by the approval mechanism's action; no page, API call or CLI
command publishes directly, and the database refuses a published row without its approval.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.accounts.models import ApprovalRequest, User
from mamori.accounts.services import approvals
from mamori.core.errors import Refused
from mamori.rulebook.models import PolicyDocument, PolicyVersion

__all__ = [
    "DOCUMENTS",
    "POLICY",
    "PolicyRefused",
    "apply_publication",
    "ensure_documents",
    "published",
    "save_draft",
    "submit_for_publication",
]

POLICY = "policy_publication"
KIND = "rulebook.publish_policy"

#: The two summaries the rules require to be public, and their sections.
DOCUMENTS: list[dict[str, Any]] = [
    {
        "code": "system-risk",
        "title_ja": "システムリスク管理の基本方針（概要）",
        "title_en": "System risk management basic policy (summary)",
        "article": "SRM 4-2, 4-4",
        "sections": [
            {"key": "policy", "ja": "基本方針", "en": "Basic policy"},
            {"key": "targets", "ja": "安全対策の達成目標", "en": "Targets of security measures"},
            {"key": "framework", "ja": "管理体制", "en": "Management framework"},
            {"key": "review", "ja": "見直し", "en": "Review"},
        ],
    },
    {
        "code": "information-security",
        "title_ja": "情報セキュリティ基本方針（概要）",
        "title_en": "Information security basic policy (summary)",
        "article": "ISM 5-1",
        "sections": [
            {"key": "objectives", "ja": "情報セキュリティの目標", "en": "Objectives"},
            {"key": "actions", "ja": "目標達成のためにとるべき行動", "en": "Actions"},
            {"key": "reasons", "ja": "情報セキュリティが必要な理由", "en": "Why it is needed"},
            {"key": "scope", "ja": "対象範囲とセキュリティの程度", "en": "Scope and level"},
            {
                "key": "outsourcing",
                "ja": "外部委託先における情報資産の安全管理に関する方針",
                "en": "Outsourcees",
            },
            {"key": "responsible", "ja": "情報セキュリティの責任者", "en": "Responsible person"},
        ],
    },
]


class PolicyRefused(Refused):
    """A policy action is refused; ``code`` is stable for machines."""


def ensure_documents() -> None:
    """Create the two policy documents if they are missing."""
    for spec in DOCUMENTS:
        PolicyDocument.objects.update_or_create(
            code=spec["code"],
            defaults={
                "title_ja": spec["title_ja"],
                "title_en": spec["title_en"],
                "article": spec["article"],
                "sections": spec["sections"],
            },
        )


def _clean_body(document: PolicyDocument, body: dict[str, Any]) -> dict[str, dict[str, str]]:
    keys = [s["key"] for s in document.sections]
    unknown = sorted(set(body) - set(keys))
    if unknown:
        raise PolicyRefused(
            "unknown_section",
            _("unknown section(s): %(sections)s") % {"sections": ", ".join(unknown)},
        )
    clean: dict[str, dict[str, str]] = {}
    missing = []
    for key in keys:
        value = body.get(key) or {}
        ja = str(value.get("ja", "")).strip()
        en = str(value.get("en", "")).strip()
        if not ja or not en:
            missing.append(key)
        clean[key] = {"ja": ja[:20000], "en": en[:20000]}
    if missing:
        raise PolicyRefused(
            "section_missing",
            _("every section needs Japanese and English text; missing: %(sections)s")
            % {"sections": ", ".join(missing)},
        )
    return clean


def save_draft(
    document: PolicyDocument, body: dict[str, Any], by: User, version: PolicyVersion | None = None
) -> PolicyVersion:
    """Create a new draft, or update ``version`` if it is still a draft."""
    clean = _clean_body(document, body)
    with transaction.atomic():
        if version is not None:
            version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
            if version.status != PolicyVersion.Status.DRAFT:
                raise PolicyRefused(
                    "not_a_draft",
                    _("version %(number)s is %(status)s: make a new draft")
                    % {"number": version.number, "status": version.status},
                    status=409,
                )
            version.body = clean
            version.save(update_fields=["body"])
            return version
        last = document.versions.order_by("-number").first()
        return PolicyVersion.objects.create(
            document=document,
            number=(last.number + 1) if last else 1,
            body=clean,
            created_by=by,
            created_at=timezone.now(),
        )


def _snapshot(version: PolicyVersion) -> dict[str, Any]:
    return {
        "document": version.document.code,
        "number": version.number,
        "body": version.body,
    }


def submit_for_publication(version: PolicyVersion, by: User) -> ApprovalRequest:
    """Send a draft for approval; it is published when the approval completes."""
    with transaction.atomic():
        version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != PolicyVersion.Status.DRAFT:
            raise PolicyRefused(
                "not_a_draft",
                _("version %(number)s is %(status)s")
                % {"number": version.number, "status": version.status},
                status=409,
            )
        request = approvals.submit(
            KIND,
            f"Publish {version.document.title_en} v{version.number}",
            _snapshot(version),
            by,
        )
        version.status = PolicyVersion.Status.PENDING
        version.approval = request
        version.save(update_fields=["status", "approval"])
    return request


def apply_publication(request: ApprovalRequest) -> None:
    """Publish the approved version (exactly what was approved) and supersede the previous."""
    version = PolicyVersion.objects.select_for_update().get(approval=request)
    approvals.verify(request, _snapshot(version))
    now = timezone.now()
    PolicyVersion.objects.filter(
        document=version.document, status=PolicyVersion.Status.PUBLISHED
    ).update(status=PolicyVersion.Status.SUPERSEDED)
    version.status = PolicyVersion.Status.PUBLISHED
    version.published_at = now
    version.save(update_fields=["status", "published_at"])


def on_closed(request: ApprovalRequest) -> None:
    """Return a rejected or expired publication request's version to *rejected*."""
    if request.kind != KIND or request.status == ApprovalRequest.Status.APPROVED:
        return
    PolicyVersion.objects.filter(approval=request, status=PolicyVersion.Status.PENDING).update(
        status=PolicyVersion.Status.REJECTED
    )


def published(code: str, number: int | None = None) -> PolicyVersion | None:
    """Return the published version of ``code`` (or version ``number`` if it was published)."""
    versions = PolicyVersion.objects.filter(
        document__code=code,
        status__in=(PolicyVersion.Status.PUBLISHED, PolicyVersion.Status.SUPERSEDED),
    ).select_related("document")
    if number is not None:
        return versions.filter(number=number).first()
    return versions.filter(status=PolicyVersion.Status.PUBLISHED).first()
