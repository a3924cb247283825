"""The people list: who works here, in which department, holding which roles
(:mod:`mamori.core.tables`)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import AccessReviewItem, Department, Role, User
from mamori.core.tables import ListFilter, ListTable

__all__ = ["PeopleFilter", "PeopleTable", "ReviewItemsFilter", "ReviewItemsTable"]


class PeopleFilter(ListFilter):
    """Filter people by department and by a role they hold; search names and user names."""

    search_fields: ClassVar[tuple[str, ...]] = ("username", "first_name", "last_name")
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), to_field_name="code", label=_("Department")
    )
    role = django_filters.ModelChoiceFilter(
        queryset=Role.objects.all(), to_field_name="code", method="_role", label=_("Roles")
    )

    def _role(self, queryset: QuerySet[User], name: str, value: Role) -> QuerySet[User]:
        """Keep the people who hold ``value`` now."""
        return queryset.filter(
            role_assignments__role=value, role_assignments__revoked_at__isnull=True
        ).distinct()


class PeopleTable(ListTable):
    """Name, department, roles."""

    filter_class = PeopleFilter
    export = "accounts.people"

    name = tables.Column(verbose_name=_("Name"), accessor="username")
    department = tables.Column(
        verbose_name=_("Department"), order_by=("department__code",), default="—"
    )
    roles = tables.Column(verbose_name=_("Roles"), accessor="pk", orderable=False)

    def render_name(self, record: User) -> Any:
        """The person's name and user name."""
        return format_html(
            '<a href="{}">{}</a> <span class="muted">({})</span>',
            reverse("accounts:person_record", args=[record.pk]),
            record,
            record.username,
        )

    def value_name(self, record: User) -> str:
        """The person's name and user name."""
        return f"{record} ({record.username})"

    def _held(self, record: User) -> list[tuple[str, str]]:
        return [
            (str(held.role), f" · {held.department}" if held.department else "")
            for held in getattr(record, "active_roles", [])
        ]

    def render_roles(self, record: User) -> Any:
        """Each role held (and where), as a tag."""
        return format_html_join(" ", '<span class="tag">{}{}</span>', self._held(record)) or "—"

    def value_roles(self, record: User) -> str:
        """Each role held (and where)."""
        return "; ".join(role + where for role, where in self._held(record))


class ReviewItemsFilter(ListFilter):
    """Filter an access review's items by outcome; search the person and the comment."""

    search_fields: ClassVar[tuple[str, ...]] = (
        "person__username",
        "person__display_name",
        "comment",
    )
    outcome = django_filters.ChoiceFilter(
        choices=AccessReviewItem.Outcome.choices, label=_("Outcome")
    )


class ReviewItemsTable(ListTable):
    """Person, roles held when the review opened, reviewer, outcome, comment, decided."""

    filter_class = ReviewItemsFilter
    export = "accounts.access_review"

    person = tables.Column(verbose_name=_("Person"), order_by=("person__username",))
    roles = tables.Column(verbose_name=_("Roles"), orderable=False)
    reviewer = tables.Column(verbose_name=_("Reviewer"), default="—")
    outcome = tables.Column(verbose_name=_("Outcome"))
    comment = tables.Column(verbose_name=_("Comment"), default="—")
    decided_at = tables.DateTimeColumn(verbose_name=_("Decided"), format="Y-m-d H:i", default="—")

    def _roles(self, record: AccessReviewItem) -> list[str]:
        if not hasattr(self, "_names"):
            self._names = {role.code: str(role) for role in Role.objects.all()}
        return [
            self._names.get(held.get("role", ""), str(held.get("role", "")))
            + (f" · {held['department']}" if held.get("department") else "")
            for held in record.roles or []
        ]

    def render_roles(self, record: AccessReviewItem) -> Any:
        """Each role held when the review opened, as a tag."""
        return (
            format_html_join(
                " ", '<span class="tag">{}</span>', ((r,) for r in self._roles(record))
            )
            or "—"
        )

    def value_roles(self, record: AccessReviewItem) -> str:
        """Each role held when the review opened."""
        return "; ".join(self._roles(record))

    def value_decided_at(self, record: AccessReviewItem) -> str:
        """When the reviewer decided (local time), empty while pending."""
        from django.utils import timezone

        return timezone.localtime(record.decided_at).isoformat() if record.decided_at else ""
