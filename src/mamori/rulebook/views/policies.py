"""Policy summaries: drafted and sent for approval inside; published versions are public."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.approvals import ApprovalRefused
from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required, public
from mamori.rulebook.forms import PolicyForm
from mamori.rulebook.models import PolicyDocument, PolicyVersion
from mamori.rulebook.services import policies


@permission_required("rulebook.view")
def policies_view(request: HttpRequest) -> HttpResponse:
    """List both summaries with their versions."""
    documents = PolicyDocument.objects.prefetch_related("versions")
    return render(
        request,
        "rulebook/policies.html",
        {"documents": documents, "can_manage": has_permission(request.user, "rulebook.manage")},
    )


@permission_required("rulebook.manage")
def policy_edit_view(request: HttpRequest, code: str) -> HttpResponse:
    """Edit the current draft (or start one from the latest version)."""
    document = get_object_or_404(PolicyDocument, code=code)
    draft = document.versions.filter(status=PolicyVersion.Status.DRAFT).first()
    base = draft or document.versions.first()
    if request.method == "POST":
        form = PolicyForm(document, request.POST)
        if form.is_valid():
            try:
                version = policies.save_draft(document, form.body(), request.user, draft)  # type: ignore[arg-type]
            except policies.PolicyRefused as refused:
                messages.error(request, refused.message)
            else:
                messages.success(request, _("Draft v%(n)s saved.") % {"n": version.number})
                return redirect("rulebook:policy_version", code=code, number=version.number)
    else:
        initial = {}
        if base is not None:
            for section in document.sections:
                for language in ("ja", "en"):
                    initial[f"{section['key']}_{language}"] = base.section(section["key"], language)
        form = PolicyForm(document, initial=initial)
    return render(
        request, "rulebook/policy_edit.html", {"document": document, "form": form, "draft": draft}
    )


@permission_required("rulebook.view")
def policy_version_view(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """Show one version in both languages with its approval."""
    version = get_object_or_404(
        PolicyVersion.objects.select_related("document", "approval"),
        document__code=code,
        number=number,
    )
    return render(
        request,
        "rulebook/policy_version.html",
        {
            "version": version,
            "sections": _sections(version),
            "can_manage": has_permission(request.user, "rulebook.manage"),
        },
    )


def _sections(version: PolicyVersion) -> list[dict[str, str]]:
    return [
        {
            "heading_ja": s["ja"],
            "heading_en": s["en"],
            "ja": version.section(s["key"], "ja"),
            "en": version.section(s["key"], "en"),
        }
        for s in version.document.sections
    ]


@require_POST
@permission_required("rulebook.manage")
def policy_submit_view(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """Send a draft to the approvers; it is published when they approve."""
    version = get_object_or_404(PolicyVersion, document__code=code, number=number)
    try:
        approval = policies.submit_for_publication(version, request.user)  # type: ignore[arg-type]
    except (policies.PolicyRefused, ApprovalRefused) as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Sent for approval as request #%(id)s; it is published once approved.")
            % {"id": approval.pk},
        )
    return redirect("rulebook:policy_version", code=code, number=number)


@public
def public_policy_view(request: HttpRequest, code: str, number: int | None = None) -> HttpResponse:
    """Serve a published summary to anyone, signed in or not, in Japanese or English."""
    version = policies.published(code, number)
    if version is None:
        raise Http404("no published version")
    language = request.GET.get("lang", "")
    if language in ("ja", "en"):
        translation.activate(language)
        request.LANGUAGE_CODE = language
    current = translation.get_language() or "ja"
    lang = "en" if current.startswith("en") else "ja"
    history = list(
        PolicyVersion.objects.filter(
            document=version.document,
            status__in=(PolicyVersion.Status.PUBLISHED, PolicyVersion.Status.SUPERSEDED),
        ).order_by("-number")
    )
    response = render(
        request,
        "rulebook/public_policy.html",
        {
            "version": version,
            "lang": lang,
            "title": version.document.title_en if lang == "en" else version.document.title_ja,
            "sections": [
                {"heading": s["heading_" + lang], "text": s[lang]} for s in _sections(version)
            ],
            "history": history,
        },
    )
    response.headers["Content-Language"] = lang
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
