"""The lists of drills, follow-up actions, the CSIRT roster (contacts masked), external
contacts and shared threat information (:mod:`mamori.core.tables`)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mamori.accounts.services.roles import has_permission
from mamori.core.tables import ListFilter, ListTable
from mamori.operations.models import (
    ContingencyPlan,
    CsirtMember,
    ExternalContact,
    FollowUpAction,
    PlanDrill,
    ThreatIntel,
)
from mamori.operations.services.csirt import mask_email, mask_phone

__all__ = ["ActionTable", "ContactTable", "DrillTable", "IntelTable", "MemberTable"]


class DrillFilter(ListFilter):
    """Filter drills by scenario and status."""

    plan__scenario = django_filters.ChoiceFilter(
        choices=ContingencyPlan.Scenario.choices, label=_("Scenario")
    )
    status = django_filters.ChoiceFilter(choices=PlanDrill.Status.choices, label=_("Status"))


class DrillTable(ListTable):
    """Date, scenario, plan version, status, the drill incident, who commanded."""

    filter_class = DrillFilter
    export = "operations.drills"

    scheduled_for = tables.Column(verbose_name=_("Date"))
    scenario = tables.Column(verbose_name=_("Scenario"), accessor="plan__scenario")
    status = tables.Column(verbose_name=_("Status"))
    incident = tables.Column(verbose_name=_("Drill incident"), accessor="incident__reference")
    commanded = tables.Column(verbose_name=_("Commanded by"), empty_values=(), orderable=False)

    class Meta(ListTable.Meta):
        order_by = ("-scheduled_for",)

    def render_scheduled_for(self, record: PlanDrill) -> Any:
        """The date, linked to the drill."""
        url = reverse("operations:drill", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, record.scheduled_for.isoformat())

    def render_scenario(self, record: PlanDrill) -> str:
        """The scenario, in words."""
        return str(record.plan.get_scenario_display())

    def render_status(self, record: PlanDrill) -> str:
        """The status, in words."""
        return str(record.get_status_display())

    def render_commanded(self, record: PlanDrill) -> str:
        """Who commanded the drill."""
        return ", ".join(c.leader.get_username() for c in record.commands.all()) or "—"

    value_commanded = render_commanded


class ActionFilter(ListFilter):
    """Filter actions: open or done; search titles."""

    search_fields: ClassVar[tuple[str, ...]] = ("title",)
    done_at__isnull = django_filters.BooleanFilter(label=_("Open"))


class ActionTable(ListTable):
    """Action, where it comes from, owner, due date (red when past), done at."""

    filter_class = ActionFilter
    export = "operations.actions"

    title = tables.Column(verbose_name=_("Action"))
    origin = tables.Column(verbose_name=_("From"), empty_values=(), orderable=False)
    owner = tables.Column(verbose_name=_("Owner"), accessor="owner__username")
    due_on = tables.Column(verbose_name=_("Due on"))
    done_at = tables.Column(verbose_name=_("Done at"))
    done = tables.Column(
        verbose_name="", empty_values=(), orderable=False, exclude_from_export=True
    )

    class Meta(ListTable.Meta):
        order_by = ("due_on",)

    def render_done(self, record: FollowUpAction) -> Any:
        """A button marking an open action done (shown to incidents.manage holders)."""
        request = getattr(self, "request", None)
        if record.done_at is not None or request is None:
            return ""
        if not has_permission(request.user, "incidents.manage"):
            return ""
        return format_html(
            '<form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" '
            'value="{}"><input type="hidden" name="next" value="{}">'
            '<button type="submit">{}</button></form>',
            reverse("operations:action_done", args=[record.pk]),
            get_token(request),
            request.get_full_path(),
            _("Mark done"),
        )

    def render_origin(self, record: FollowUpAction) -> Any:
        """The review's incident or the drill, linked."""
        if record.review is not None:
            reference = record.review.incident.reference
            url = reverse("operations:review", args=[reference])
            return format_html('<a href="{}">{}</a>', url, reference)
        url = reverse("operations:drill", args=[record.drill_id])
        return format_html('<a href="{}">{}</a>', url, _("drill"))

    def value_origin(self, record: FollowUpAction) -> str:
        """The review's incident or the drill."""
        if record.review is not None:
            return record.review.incident.reference
        return f"drill {record.drill_id}"

    def render_due_on(self, record: FollowUpAction) -> Any:
        """The due date, marked overdue when past and not done."""
        if record.done_at is None and record.due_on < timezone.localdate():
            return format_html(
                '<strong class="status-bad">{} ({})</strong>', record.due_on, _("overdue")
            )
        return record.due_on.isoformat()

    def render_done_at(self, value: Any) -> str:
        """When the action was done."""
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class MemberTable(ListTable):
    """A CSIRT member, role, masked phone and email, rotation position."""

    export = "operations.csirt"

    person = tables.Column(verbose_name=_("Person"), accessor="person__username")
    role = tables.Column(verbose_name=_("Role in the CSIRT"))
    phone = tables.Column(verbose_name=_("Phone"))
    email = tables.Column(verbose_name=_("Email"))
    rotation_position = tables.Column(verbose_name=_("Rotation"))

    class Meta(ListTable.Meta):
        order_by = ("rotation_position",)

    def render_person(self, record: CsirtMember) -> Any:
        """The person, linked to their entry."""
        url = reverse("operations:csirt_member", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, record.person.get_username())

    def value_person(self, record: CsirtMember) -> str:
        """The person."""
        return record.person.get_username()

    def render_role(self, record: CsirtMember) -> str:
        """The role, in words."""
        return str(record.get_role_display())

    def render_phone(self, value: str) -> str:
        """The phone, masked."""
        return mask_phone(value)

    value_phone = render_phone

    def render_email(self, value: str) -> str:
        """The email, masked."""
        return mask_email(value)

    value_email = render_email


class ContactTable(ListTable):
    """An external contact: name, kind, purpose, how to reach it."""

    export = "operations.contacts"

    name = tables.Column(verbose_name=_("Name"))
    kind = tables.Column(verbose_name=_("Kind"))
    purpose = tables.Column(verbose_name=_("Purpose"))
    contact = tables.Column(verbose_name=_("Contact"))

    def render_kind(self, record: ExternalContact) -> str:
        """The kind, in words."""
        return str(record.get_kind_display())


class IntelTable(ListTable):
    """Shared threat information: received on, source, title, its catalogue entry."""

    export = "operations.threat_intel"

    received_on = tables.Column(verbose_name=_("Received on"))
    source = tables.Column(verbose_name=_("Source"))
    title = tables.Column(verbose_name=_("Title"))
    entry = tables.Column(
        verbose_name=_("Catalogue entry"), accessor="catalogue_entry__code", orderable=False
    )

    class Meta(ListTable.Meta):
        order_by = ("-received_on",)

    def render_entry(self, record: ThreatIntel) -> Any:
        """The catalogue entry's code, as data."""
        return format_html("<code>{}</code>", record.catalogue_entry.code)
