"""The public status page and its Atom feed, open to anyone without signing in (SRM 10-6-3).

Only approved (published) notices are shown, in Japanese or English (``?lang=ja|en``, else the
browser's language): current incidents and maintenance, each service's state, the notices of
the last 90 days. No names of staff, no incident references, no internal detail.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

from mamori.accounts.views.access import public
from mamori.guard.models import Notice, Publication
from mamori.guard.services import notices

#: Past notices on one page of the status page.
PAST_PER_PAGE = 20


def _language(request: HttpRequest) -> str:
    wanted = request.GET.get("lang", "")
    if wanted in ("ja", "en"):
        translation.activate(wanted)
        request.LANGUAGE_CODE = wanted
    current = translation.get_language() or "ja"
    return "en" if current.startswith("en") else "ja"


def _public(response: HttpResponse, lang: str) -> HttpResponse:
    response.headers["Content-Language"] = lang
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _shown(notice: Notice, lang: str) -> dict[str, Any]:
    """Return what the public reads of ``notice``: no author, approver or incident."""
    return {
        "pk": notice.pk,
        "kind": notice.kind,
        "title": notice.title(lang),
        "body": notice.body(lang),
        "starts_at": notice.starts_at,
        "ends_at": notice.ends_at,
        "resolved": notice.resolved,
        "services": [
            {"name": s.function.name(lang), "state": s.state}
            for s in notice.services.select_related("function")
        ],
        "updates": [
            {"at": u.published_at, "text": u.text(lang), "resolves": u.resolves}
            for u in notice.updates.filter(publication=Publication.PUBLISHED).order_by(
                "-published_at"
            )
        ],
    }


@public
def status_view(request: HttpRequest) -> HttpResponse:
    """Show the current notices, each service's state and the last 90 days."""
    lang = _language(request)
    now = timezone.now()
    past = Paginator(notices.past(now).order_by("-starts_at", "-pk"), PAST_PER_PAGE)
    page = past.get_page(request.GET.get("page"))
    return _public(
        render(
            request,
            "guard/status.html",
            {
                "lang": lang,
                "current": [_shown(n, lang) for n in notices.current(now)],
                "services": [
                    {"name": row["function"].name(lang), "state": row["state"]}
                    for row in notices.service_states(now)
                ],
                "past": [_shown(n, lang) for n in page.object_list],
                "page": page,
                "days": notices.HISTORY_DAYS,
            },
        ),
        lang,
    )


@public
def status_notice_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one published notice with its published updates."""
    lang = _language(request)
    notice = get_object_or_404(notices.published(), pk=pk)
    return _public(
        render(request, "guard/status_notice.html", {"lang": lang, "notice": _shown(notice, lang)}),
        lang,
    )


@public
def status_feed_view(request: HttpRequest) -> HttpResponse:
    """Serve the published notices of the last 90 days as an Atom feed."""
    lang = _language(request)
    if lang not in ("ja", "en"):  # pragma: no cover - _language answers one of the two
        raise Http404
    home = request.build_absolute_uri(reverse("status:index"))
    feed = FeedGenerator()
    feed.id(home)
    feed.title("Service status" if lang == "en" else "サービスの稼働状況")
    feed.link(href=home, rel="alternate")
    feed.link(href=request.build_absolute_uri(), rel="self")
    feed.language(lang)
    feed.updated(timezone.now())
    now = timezone.now()
    shown = (notices.current(now) | notices.past(now)).distinct().order_by("starts_at", "pk")
    for notice in shown:
        seen = _shown(notice, lang)
        url = request.build_absolute_uri(reverse("status:notice", args=[notice.pk]))
        entry = feed.add_entry()
        entry.id(url)
        entry.link(href=url)
        entry.title(seen["title"])
        text = [seen["body"], *(u["text"] for u in reversed(seen["updates"]))]
        entry.content("\n\n".join(text), type="text")
        latest = seen["updates"][0]["at"] if seen["updates"] else notice.published_at
        entry.updated(latest or notice.starts_at)
        entry.published(notice.published_at or notice.starts_at)
    body = feed.atom_str(pretty=True)
    return _public(HttpResponse(body, content_type="application/atom+xml; charset=utf-8"), lang)
