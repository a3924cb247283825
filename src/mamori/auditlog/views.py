"""Audit log pages: filter entries, one entry with its inclusion proof, latest checkpoint."""

from __future__ import annotations

import base64
import json

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.dateparse import parse_date

from mamori.accounts.views.access import permission_required
from mamori.auditlog import history, links, services, store
from mamori.auditlog.models import Checkpoint, Entry, Publication, VerificationRun
from mamori.engines import merkle


@permission_required("auditlog.view")
def entries_view(request: HttpRequest) -> HttpResponse:
    """List entries, newest first, filtered by person (part of a user name or display name),
    action, object and date; scheduled jobs' entries are hidden unless asked for."""
    rows = Entry.objects.all()
    filters = {
        key: request.GET.get(key, "").strip()
        for key in ("actor", "action", "object_type", "object_id", "request_id", "since", "until")
    }
    show_system = request.GET.get("system") == "1"
    if not show_system:
        rows = history.not_system(rows)
    if filters["actor"]:
        rows = history.matching_person(rows, filters["actor"])
    for field in ("action", "object_type", "object_id", "request_id"):
        if filters[field]:
            lookup = "startswith" if field in ("action", "object_type") else "exact"
            rows = rows.filter(**{f"{field}__{lookup}": filters[field]})
    if since := parse_date(filters["since"] or ""):
        rows = rows.filter(at__date__gte=since)
    if until := parse_date(filters["until"] or ""):
        rows = rows.filter(at__date__lte=until)
    page = Paginator(rows.order_by("-position"), 50).get_page(request.GET.get("page"))
    names = history.actor_names(entry.actor for entry in page)
    shown = [
        (
            entry,
            history.who(entry.actor, names),
            history.action_label(entry.action),
            links.url_of(entry.object_type, entry.object_id),
        )
        for entry in page
    ]
    return render(
        request,
        "auditlog/entries.html",
        {
            "page": page,
            "shown": shown,
            "filters": filters,
            "show_system": show_system,
            "checkpoint": Checkpoint.objects.order_by("-size").first(),
            "verification": VerificationRun.objects.first(),
            "publications": _publications(),
        },
    )


def _publications() -> list[Publication]:
    """Return the last attempt at each configured place checkpoints are published to."""
    from mamori.auditlog.publish import targets

    found = []
    for target in targets():
        last = Publication.objects.filter(target=target.name).order_by("-published_at").first()
        if last is not None:
            found.append(last)
    return found


@permission_required("auditlog.view")
def entry_view(request: HttpRequest, position: int) -> HttpResponse:
    """Show one entry, its canonical body, and its inclusion proof in the latest checkpoint."""
    entry = get_object_or_404(Entry, position=position)
    checkpoint = Checkpoint.objects.filter(size__gt=position).order_by("-size").first()
    proof: list[str] = []
    verified = False
    leaf = store.DbNodes().node(0, position)
    if checkpoint is not None:
        hashes = services.inclusion(position, checkpoint.size)
        proof = [h.hex() for h in hashes]
        try:
            merkle.verify_inclusion(position, checkpoint.size, leaf, hashes, bytes(checkpoint.root))
            verified = True
        except merkle.ProofError:
            verified = False
    names = history.actor_names([entry.actor])
    return render(
        request,
        "auditlog/entry.html",
        {
            "entry": entry,
            "who": history.who(entry.actor, names),
            "object_url": links.url_of(entry.object_type, entry.object_id),
            "body": json.dumps(json.loads(entry.body), ensure_ascii=False, indent=2),
            "leaf": leaf.hex(),
            "checkpoint": checkpoint,
            "root_b64": base64.b64encode(bytes(checkpoint.root)).decode() if checkpoint else "",
            "proof": proof,
            "verified": verified,
        },
    )
