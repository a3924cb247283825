"""Compliance dashboard and drill-down: rule → chapter → article → requirement → controls."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.approvals import ApprovalRefused
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.tables import listing
from mamori.rulebook.forms import DecisionForm
from mamori.rulebook.lists import AttentionTable
from mamori.rulebook.models import Framework, FrameworkVersion, Requirement
from mamori.rulebook.services import decisions
from mamori.rulebook.services.controls import attention_list
from mamori.rulebook.services.status import compute, known_by


@permission_required("rulebook.view")
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Show each rule's chapters and articles coloured by status, and what needs attention."""
    compliance = compute()
    rules = []
    for framework in Framework.objects.order_by("-ref_id"):
        nodes = list(framework.nodes.filter(removed_in__isnull=True).order_by("order"))
        chapters = []
        for chapter in (n for n in nodes if n.kind == "chapter"):
            articles = [
                n
                for n in nodes
                if n.kind == "article"
                and (n.parent_id == chapter.pk or (n.parent and n.parent.parent_id == chapter.pk))
            ]
            chapters.append(
                {
                    "node": chapter,
                    "status": compliance.by_urn.get(chapter.urn),
                    "articles": [
                        {"node": a, "status": compliance.by_urn.get(a.urn)} for a in articles
                    ],
                }
            )
        requirements = [n.urn for n in nodes if n.is_requirement]
        rules.append(
            {
                "framework": framework,
                "status": compliance.of(framework.urn),
                "chapters": chapters,
                "counts": compliance.counts(requirements),
                "known": compliance.how_known(requirements),
                "total": len(requirements),
                "review": sum(1 for n in nodes if n.needs_review),
            }
        )
    attention = listing(request, attention_list(), AttentionTable, prefix="attention-")
    if isinstance(attention, HttpResponse):
        return attention
    return render(request, "rulebook/dashboard.html", {"rules": rules, "attention": attention})


@permission_required("rulebook.view")
def node_view(request: HttpRequest, urn: str) -> HttpResponse:
    """Show one node: its text in both languages, status and how it is known, controls
    (mamori's own health apart, never counted), evidence and notes."""
    node = get_object_or_404(Requirement.objects.select_related("framework"), urn=urn)
    compliance = compute()
    children = list(node.children.filter(removed_in__isnull=True).order_by("order"))
    controls = list(node.controls.select_related("owner_role").order_by("code"))
    states = {s.code: s for s in compliance.controls.get(node.urn, [])}
    refs = list(Requirement.objects.filter(urn__in=node.refs))
    ref_frameworks = [u for u in node.refs if not any(r.urn == u for r in refs)]
    return render(
        request,
        "rulebook/node.html",
        {
            "node": node,
            "ancestors": _ancestors(node),
            "status": compliance.by_urn.get(node.urn),
            "children": [{"node": c, "status": compliance.by_urn.get(c.urn)} for c in children],
            "controls": [
                {"control": c, "state": states.get(c.code)} for c in controls if c.kind != "self"
            ],
            "own_health": [
                {"control": c, "state": states.get(c.code)} for c in controls if c.kind == "self"
            ],
            "known": known_by(status) if (status := compliance.by_urn.get(node.urn)) else None,
            "decision": compliance.decisions.get(node.urn),
            "pending": node.decisions.filter(effective_at__isnull=True, approval__status="pending"),
            "refs": refs,
            "ref_frameworks": ref_frameworks,
            "referenced_by": [
                r for r in Requirement.objects.exclude(refs=[]) if node.urn in r.refs
            ],
            "guidance": node.guidance.all(),
            "mappings": node.mappings.all(),
            "form": DecisionForm(),
            "can_manage": has_permission(request.user, "rulebook.manage"),
        },
    )


def _ancestors(node: Requirement) -> list[Requirement]:
    chain = []
    parent = node.parent
    while parent is not None:
        chain.append(parent)
        parent = parent.parent
    return list(reversed(chain))


@require_POST
@permission_required("rulebook.manage")
def decision_view(request: HttpRequest, urn: str) -> HttpResponse:
    """Ask for a manual status; it goes to the approvers and takes effect once approved."""
    node = get_object_or_404(Requirement, urn=urn)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("rulebook:node", urn=urn)
    try:
        decision = decisions.request_decision(
            node,
            form.cleaned_data["status"],
            form.cleaned_data["justification"],
            request.user,  # type: ignore[arg-type]
        )
    except ApprovalRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Sent for approval as request #%(id)s; the status changes once it is approved.")
            % {"id": decision.approval_id},
        )
    return redirect("rulebook:node", urn=urn)


@require_POST
@permission_required("rulebook.manage")
def reviewed_view(request: HttpRequest, urn: str) -> HttpResponse:
    """Mark a requirement changed by a new rule version as reviewed."""
    node = get_object_or_404(Requirement, urn=urn)
    node.needs_review = False
    node.save(update_fields=["needs_review"])
    messages.success(request, _("Marked as reviewed."))
    return redirect("rulebook:node", urn=urn)


@permission_required("rulebook.view")
def versions_view(request: HttpRequest) -> HttpResponse:
    """List every loaded version of each rule with what it changed."""
    versions = FrameworkVersion.objects.select_related("framework").prefetch_related("changes")
    return render(
        request,
        "rulebook/versions.html",
        {
            "versions": versions,
            "to_review": Requirement.objects.filter(needs_review=True).order_by(
                "framework", "order"
            ),
        },
    )
