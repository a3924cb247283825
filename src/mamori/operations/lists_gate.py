"""The lists of quality plans by system, secure-coding versions, freeze windows, gate answers
and change findings (:mod:`mamori.core.tables`)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from mamori.accounts.services.roles import has_permission
from mamori.core.tables import ListFilter, ListTable
from mamori.operations.models import ChangeFinding, FreezeWindow, GateDecision, System

__all__ = [
    "DecisionTable",
    "FindingTable",
    "FreezeTable",
    "StandardTable",
    "SystemQualityTable",
]


def _moment(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _said(reason: dict[str, Any]) -> str:
    """A gate reason's message in the reader's language (as asked, for older answers)."""
    language = "en" if (translation.get_language() or "ja").startswith("en") else "ja"
    return str((reason.get("messages") or {}).get(language) or reason.get("message", ""))


class SystemQualityTable(ListTable):
    """A system, its criticality and lifecycle, how many criteria its quality plan has."""

    export = "operations.quality_plans"

    code = tables.Column(verbose_name=_("System"))
    criticality = tables.Column(verbose_name=_("Criticality"))
    lifecycle = tables.Column(verbose_name=_("Lifecycle"))
    criteria = tables.Column(verbose_name=_("Criteria"), empty_values=(), orderable=False)

    def render_code(self, record: System) -> Any:
        """The system, linked to its quality plan."""
        url = reverse("operations:quality_plan", args=[record.code])
        return format_html('<a href="{}">{}</a>', url, record.code)

    def value_code(self, record: System) -> str:
        """The system's code."""
        return record.code

    def render_criticality(self, record: System) -> str:
        """The criticality, in words."""
        return str(record.get_criticality_display())

    def render_lifecycle(self, record: System) -> str:
        """The lifecycle, in words."""
        return str(record.get_lifecycle_display())

    def render_criteria(self, record: System) -> Any:
        """How many criteria its plan has (none: marked)."""
        plan = getattr(record, "quality_plan", None)
        count = plan.criteria.count() if plan is not None else 0
        if not count:
            return format_html('<span class="status-bad">{}</span>', _("no plan"))
        return str(count)

    def value_criteria(self, record: System) -> str:
        """How many criteria its plan has."""
        plan = getattr(record, "quality_plan", None)
        return str(plan.criteria.count() if plan is not None else 0)


class StandardTable(ListTable):
    """A version of the secure-coding standard: number, title, published, superseded."""

    export = "operations.secure_coding"

    version = tables.Column(verbose_name=_("Version"))
    title = tables.Column(verbose_name=_("Title"))
    published_at = tables.Column(verbose_name=_("Published at"))
    published_by = tables.Column(verbose_name=_("Published by"), accessor="published_by__username")
    superseded_at = tables.Column(verbose_name=_("Superseded at"))

    class Meta(ListTable.Meta):
        order_by = ("-version",)

    def render_published_at(self, value: Any) -> str:
        """When it was published."""
        return _moment(value)

    def render_superseded_at(self, value: Any) -> str:
        """When a newer version replaced it."""
        return _moment(value)


class FreezeFilter(ListFilter):
    """Search freeze windows by reason."""

    search_fields: ClassVar[tuple[str, ...]] = ("reason",)


class FreezeTable(ListTable):
    """A freeze window: from, until, reason, the systems it covers."""

    filter_class = FreezeFilter
    export = "operations.freezes"

    starts_at = tables.Column(verbose_name=_("Starts at"))
    ends_at = tables.Column(verbose_name=_("Ends at"))
    reason = tables.Column(verbose_name=_("Reason"))
    covers = tables.Column(verbose_name=_("Systems"), empty_values=(), orderable=False)

    class Meta(ListTable.Meta):
        order_by = ("-starts_at",)

    def render_starts_at(self, value: Any) -> str:
        """When it starts."""
        return _moment(value)

    def render_ends_at(self, value: Any) -> str:
        """When it ends."""
        return _moment(value)

    def render_covers(self, record: FreezeWindow) -> str:
        """All systems, or the systems named."""
        if record.all_systems:
            return str(_("all systems"))
        return ", ".join(s.code for s in record.systems.all())

    value_covers = render_covers


class DecisionTable(ListTable):
    """A gate answer: when, digest, outcome, each reason, who asked, an override."""

    export = "operations.gate_decisions"

    asked_at = tables.Column(verbose_name=_("Asked at"))
    artifact_digest = tables.Column(verbose_name=_("Artifact digest"))
    outcome = tables.Column(verbose_name=_("Outcome"))
    reasons = tables.Column(verbose_name=_("Reasons"), orderable=False)
    asker = tables.Column(verbose_name=_("Asked by"), empty_values=(), orderable=False)

    class Meta(ListTable.Meta):
        order_by = ("-asked_at",)

    def render_asked_at(self, value: Any) -> str:
        """When the gate was asked."""
        return _moment(value)

    def render_artifact_digest(self, value: str) -> Any:
        """The digest, as data."""
        return format_html("<code>{}</code>", value)

    def render_outcome(self, record: GateDecision) -> Any:
        """Go or no-go, coloured; an override named."""
        css = "status-ok" if record.outcome == GateDecision.Outcome.GO else "status-bad"
        shown = format_html('<strong class="{}">{}</strong>', css, record.get_outcome_display())
        if record.override is not None:
            url = reverse("accounts:approval", args=[record.override.approval_id])
            return format_html(
                '{} · <a href="{}">{}</a>: {}', shown, url, _("override"), record.override.reason
            )
        return shown

    def value_outcome(self, record: GateDecision) -> str:
        """Go or no-go, and an override."""
        return record.outcome + (" (override)" if record.override_id else "")

    def render_reasons(self, value: Any) -> Any:
        """Every reason: its code and message."""
        if not value:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "", "<li><code>{}</code> {}</li>", ((r["code"], _said(r)) for r in value)
            ),
        )

    def value_reasons(self, value: Any) -> str:
        """Every reason's code."""
        return "; ".join(f"{r['code']}: {_said(r)}" for r in value or [])

    def render_asker(self, record: GateDecision) -> str:
        """The person, the token or the command line that asked."""
        if record.asked_by is not None:
            return record.asked_by.get_username()
        if record.asked_by_token is not None:
            return f"token {record.asked_by_token.name}"
        return record.asked_via

    value_asker = render_asker


class FindingFilter(ListFilter):
    """Filter findings by kind and whether resolved."""

    kind = django_filters.ChoiceFilter(choices=ChangeFinding.Kind.choices, label=_("Kind"))
    resolved_at__isnull = django_filters.BooleanFilter(label=_("Open"))


class FindingTable(ListTable):
    """A finding: raised at, kind, change, what it is about, resolution (or a form)."""

    filter_class = FindingFilter
    export = "operations.change_findings"

    raised_at = tables.Column(verbose_name=_("Raised at"))
    kind = tables.Column(verbose_name=_("Kind"))
    change = tables.Column(verbose_name=_("Change"), accessor="change__reference")
    detail = tables.Column(verbose_name=_("Detail"), orderable=False)
    resolution = tables.Column(verbose_name=_("Resolution"), empty_values=(), orderable=False)

    class Meta(ListTable.Meta):
        order_by = ("-raised_at",)

    def render_raised_at(self, value: Any) -> str:
        """When it was raised."""
        return _moment(value)

    def render_kind(self, record: ChangeFinding) -> str:
        """The kind, in words."""
        return str(record.get_kind_display())

    def render_detail(self, value: Any) -> Any:
        """The facts, as data."""
        shown = ", ".join(f"{k}={v}" for k, v in sorted((value or {}).items()))
        return format_html("<small>{}</small>", shown)

    def value_detail(self, value: Any) -> str:
        """The facts."""
        return ", ".join(f"{k}={v}" for k, v in sorted((value or {}).items()))

    def render_resolution(self, record: ChangeFinding) -> Any:
        """How it was resolved, or a form to resolve it (quality.manage)."""
        if record.resolved_at is not None:
            who = record.resolved_by.get_username() if record.resolved_by else ""
            return f"{_moment(record.resolved_at)} {who}: {record.resolution}"
        request = getattr(self, "request", None)
        if request is None or not has_permission(request.user, "quality.manage"):
            return "—"
        return format_html(
            '<form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" '
            'value="{}"><input name="resolution" required aria-label="{}" placeholder="{}"> '
            '<button type="submit">{}</button></form>',
            reverse("operations:finding_resolve", args=[record.pk]),
            get_token(request),
            _("Resolution"),
            _("how it was resolved"),
            _("Resolve"),
        )

    def value_resolution(self, record: ChangeFinding) -> str:
        """How it was resolved."""
        return record.resolution
