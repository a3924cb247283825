"""How the rulebook's approval requests are shown: a policy publication as the changed
sections, before and after; a compliance status decision as a sentence."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from mamori.accounts import approval_display as display
from mamori.accounts.models import ApprovalRequest
from mamori.rulebook.models import PolicyDocument, PolicyVersion


def _document(code: str) -> PolicyDocument | None:
    return PolicyDocument.objects.filter(code=code).first()


def _publish_title(snapshot: dict[str, Any]) -> str:
    document = _document(snapshot["document"])
    return _("Publish %(document)s, version %(number)s") % {
        "document": document.title if document else snapshot["document"],
        "number": snapshot["number"],
    }


def _publish_context(item: ApprovalRequest) -> dict[str, Any]:
    snapshot = item.snapshot
    document = _document(snapshot["document"])
    previous = (
        PolicyVersion.objects.filter(
            document__code=snapshot["document"],
            number__lt=snapshot["number"],
            status__in=(PolicyVersion.Status.PUBLISHED, PolicyVersion.Status.SUPERSEDED),
        )
        .order_by("-number")
        .first()
    )
    before = previous.body if previous else {}
    language = "en" if (get_language() or "ja").startswith("en") else "ja"
    sections = []
    for section in document.sections if document else []:
        key = section["key"]
        old = (before.get(key) or {}).get(language, "")
        new = (snapshot["body"].get(key) or {}).get(language, "")
        sections.append(
            {
                "name": section.get(language) or key,
                "changed": old != new,
                "diff": display.diff_lines(old, new),
                "text": new,
            }
        )
    return {"document": document, "previous": previous, "sections": sections}


def _publish_links(item: ApprovalRequest) -> list[display.Link]:
    snapshot = item.snapshot
    return [
        display.link_to(
            _("The draft, version %(number)s") % {"number": snapshot["number"]},
            "rulebook:policy_version",
            snapshot["document"],
            snapshot["number"],
        ),
        display.link_to(_("Published policies"), "rulebook:policies"),
    ]


def _status_label(status: str) -> str:
    labels = {
        "compliant": _("compliant"),
        "partial": _("partially compliant"),
        "non_compliant": _("non-compliant"),
        "not_applicable": _("not applicable"),
    }
    return labels.get(status, status)


def _label(urn: str) -> str:
    from mamori.rulebook.models import Requirement

    requirement = Requirement.objects.filter(urn=urn).first()
    return requirement.label if requirement is not None else urn


def _decision_title(snapshot: dict[str, Any]) -> str:
    return _("Record %(requirement)s as %(status)s") % {
        "requirement": _label(snapshot["urn"]),
        "status": _status_label(snapshot["status"]),
    }


def _decision_context(item: ApprovalRequest) -> dict[str, Any]:
    return {
        "requirement": _label(item.snapshot["urn"]),
        "status": _status_label(item.snapshot["status"]),
    }


def register() -> None:
    """Register how the rulebook's kinds of request are shown."""
    from mamori.rulebook.services import decisions, policies

    display.register_display(
        policies.KIND,
        template="rulebook/approval_publish.html",
        title=_publish_title,
        context=_publish_context,
        links=_publish_links,
    )
    display.register_display(
        decisions.KIND,
        template="rulebook/approval_decision.html",
        title=_decision_title,
        context=_decision_context,
        links=lambda item: [
            display.link_to(_("The requirement"), "rulebook:node", item.snapshot["urn"])
        ],
    )
