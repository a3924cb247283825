"""Pages of key ceremonies (ISM 28-1, 28-2) and of backup access detection (ISM 28-3-5).

Every form posted here is searched for secrets before anything else: a seed or private key
is refused and the form comes back empty, so nothing pasted is stored, logged or shown.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.accounts.services.roles import has_permission
from mamori.accounts.views.access import permission_required
from mamori.core.errors import Refused
from mamori.core.tables import downloaded, listing
from mamori.keys import backup_access, ceremonies
from mamori.keys.forms_ceremonies import AcknowledgeForm, OutputForm, PlanForm
from mamori.keys.lists_ceremonies import AccessTable, CeremonyTable
from mamori.keys.models import Backup, BackupAccess, BackupSiteSecret, Ceremony, Site
from mamori.keys.services import KeyRefused, refuse_secrets


def _posted(request: HttpRequest) -> dict[str, Any]:
    return {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}


@permission_required("keys.view")
def ceremonies_view(request: HttpRequest) -> HttpResponse:
    """List the key ceremonies: kind, wallet, window, state, whether the output matched."""
    found = listing(request, Ceremony.objects.select_related("wallet"), CeremonyTable)
    if download := downloaded(found):
        return download
    return render(
        request,
        "keys/ceremonies.html",
        {"ceremonies": found, "can_manage": has_permission(request.user, "keys.manage")},
    )


@permission_required("keys.manage")
def ceremony_new_view(request: HttpRequest) -> HttpResponse:
    """Plan a ceremony; a secret typed anywhere is refused and the form comes back empty."""
    form = PlanForm(request.POST or None)
    if request.method == "POST":
        try:
            refuse_secrets(_posted(request))
        except KeyRefused as refused:
            return render(
                request, "keys/ceremony_form.html", {"form": PlanForm(), "refused": refused.shown()}
            )
        if form.is_valid():
            try:
                made = ceremonies.plan(**form.values(), by=request.user)  # type: ignore[arg-type]
            except Refused as refused:
                form.add_error(None, refused.shown())
            else:
                messages.success(request, _("Ceremony planned: ask for its approval."))
                return redirect("keys:ceremony_detail", pk=made.pk)
    return render(request, "keys/ceremony_form.html", {"form": form})


@permission_required("keys.view")
def ceremony_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a ceremony: window, sites, people, the script's steps as checked off, the public
    output and which addresses matched, the accesses to backups it covered, its history."""
    ceremony = get_object_or_404(
        Ceremony.objects.select_related("wallet", "planned_by", "approval", "output_by"), pk=pk
    )
    steps = list(ceremony.steps.select_related("done_by"))
    next_step = next((s for s in steps if s.done_at is None), None)
    return render(
        request,
        "keys/ceremony_detail.html",
        {
            "ceremony": ceremony,
            "sites": ceremony.sites.all(),
            "people": ceremony.people.select_related("person"),
            "steps": steps,
            "next_step": next_step,
            "accesses": ceremony.accesses.select_related("backup"),
            "can_manage": has_permission(request.user, "keys.manage"),
            "output_form": OutputForm(),
        },
    )


@permission_required("keys.manage")
@require_POST
def ceremony_action_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Act on a ceremony: ask for approval, start, check off a step, record the output,
    complete or abandon; a refusal is shown with its reason."""
    ceremony = get_object_or_404(Ceremony, pk=pk)
    user = request.user
    try:
        refuse_secrets(_posted(request))
        if action == "approval":
            approval = ceremonies.request_approval(ceremony, user)  # type: ignore[arg-type]
            messages.success(
                request,
                _("Approval requested (#%(id)s): two people other than you decide.")
                % {"id": approval.pk},
            )
        elif action == "script":
            ceremonies.revise_script(ceremony, request.POST.get("script", ""), user)  # type: ignore[arg-type]
            messages.success(request, _("Script revised: ask for approval of the new version."))
        elif action == "start":
            ceremonies.start(ceremony, user)  # type: ignore[arg-type]
            messages.success(request, _("Ceremony started."))
        elif action == "step":
            number = int(request.POST.get("step") or 0)
            note = request.POST.get("note", "")
            ceremonies.check_step(ceremony, number, user, note)  # type: ignore[arg-type]
            messages.success(request, _("Step %(number)s checked off.") % {"number": number})
        elif action == "output":
            form = OutputForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Enter the kind of output and the public output."))
            else:
                data = form.cleaned_data
                done = ceremonies.record_output(
                    ceremony,
                    data["kind"],
                    data["public_data"],
                    data["addresses"],
                    user,  # type: ignore[arg-type]
                )
                if done.output_matched:
                    messages.success(request, _("Public output recorded: every address matched."))
                else:
                    messages.error(
                        request, _("Public output recorded: some addresses do not match.")
                    )
        elif action == "complete":
            ceremonies.complete(ceremony, user, request.POST.get("note", ""))  # type: ignore[arg-type]
            messages.success(request, _("Ceremony completed."))
        elif action == "abandon":
            ceremonies.abandon(ceremony, user, request.POST.get("reason", ""))  # type: ignore[arg-type]
            messages.success(request, _("Ceremony abandoned."))
        else:
            messages.error(request, _("Unknown action."))
    except (Refused, ValueError) as refused:
        messages.error(request, refused.shown() if isinstance(refused, Refused) else str(refused))
    return redirect("keys:ceremony_detail", pk=pk)


@permission_required("keys.view")
def backup_accesses_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Every access recorded for one backup, expected or not (ISM 28-3-5)."""
    backup = get_object_or_404(Backup.objects.select_related("site", "key__wallet"), pk=pk)
    found = listing(request, backup_access.of_backup(backup), AccessTable)
    if download := downloaded(found):
        return download
    return render(request, "keys/backup_accesses.html", {"backup": backup, "accesses": found})


@permission_required("keys.view")
def findings_view(request: HttpRequest) -> HttpResponse:
    """The open findings: unexpected accesses to backups not acknowledged yet."""
    with_source, without = backup_access.backups_with_source()
    return render(
        request,
        "keys/backup_findings.html",
        {
            "findings": backup_access.open_findings(),
            "backups": Backup.objects.select_related("site", "key__wallet"),
            "without": without,
            "with_source": with_source,
            "can_manage": has_permission(request.user, "keys.manage"),
            "form": AcknowledgeForm(),
        },
    )


@permission_required("keys.manage")
@require_POST
def acknowledge_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge an open finding with a reason."""
    access = get_object_or_404(BackupAccess, pk=pk)
    try:
        refuse_secrets(_posted(request))
        backup_access.acknowledge(access, request.user, request.POST.get("reason", ""))  # type: ignore[arg-type]
    except Refused as refused:
        messages.error(request, refused.shown())
    else:
        messages.success(request, _("The access is acknowledged."))
    return redirect("keys:backup_findings")


@permission_required("keys.manage_sources")
def sources_view(request: HttpRequest) -> HttpResponse:
    """The backup sites' event secrets: create or rotate one (shown once, kept encrypted)."""
    shown = ""
    site: Site | None = None
    if request.method == "POST":
        site = Site.objects.filter(pk=request.POST.get("site") or 0).first()
        if site is None:
            messages.error(request, _("Choose a site."))
        else:
            row, shown = backup_access.rotate_secret(site, request.user)  # type: ignore[arg-type]
            from mamori.auditlog.services import record_read

            record_read(row, ["secret"], "shown once at creation or rotation")
    secrets_by_site = {s.site_id: s for s in BackupSiteSecret.objects.all()}
    return render(
        request,
        "keys/backup_sources.html",
        {
            "sites": [(s, secrets_by_site.get(s.pk)) for s in Site.objects.all()],
            "secret": shown,
            "secret_site": site,
        },
    )
