"""The lists of people and their roles (:mod:`mamori.core.tables`): who works here, in which
department, holding which roles; who was granted which role when (SRM 8-5); the access
reviews (ISM 23-1-1/3)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import AccessReview, Department, Role, RoleAssignment, User
from mamori.core.tables import ListFilter, ListTable

__all__ = [
    "AssignmentFilter",
    "AssignmentHistoryTable",
    "PeopleFilter",
    "PeopleTable",
    "ReviewTable",
]


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
        return format_html('{} <span class="muted">({})</span>', record, record.username)

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


class AssignmentFilter(ListFilter):
    """Filter role grants by role and department; search the person's names."""

    search_fields: ClassVar[tuple[str, ...]] = (
        "user__username",
        "user__first_name",
        "user__last_name",
    )
    role = django_filters.ModelChoiceFilter(
        queryset=Role.objects.all(), to_field_name="code", label=_("Role")
    )
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), to_field_name="code", label=_("Department")
    )


class AssignmentHistoryTable(ListTable):
    """Every grant of a role, newest first: to whom, where, when, by whom, until when."""

    filter_class = AssignmentFilter
    export = "accounts.role_history"

    user = tables.Column(verbose_name=_("Person"), order_by=("user__username",))
    role = tables.Column(verbose_name=_("Role"), order_by=("role__code",))
    department = tables.Column(
        verbose_name=_("Department"), order_by=("department__code",), default="—"
    )
    granted_at = tables.DateTimeColumn(verbose_name=_("Granted"), format="Y-m-d H:i")
    granted_by = tables.Column(verbose_name=_("Granted by"), orderable=False, default="—")
    revoked_at = tables.DateTimeColumn(verbose_name=_("Revoked"), format="Y-m-d H:i", default="—")

    class Meta(ListTable.Meta):
        attrs: ClassVar[dict[str, str]] = {"class": "list", "id": "role-history"}
        order_by = ("-granted_at",)


class ReviewTable(ListTable):
    """The access reviews, newest first: opened, due, completed."""

    export = "accounts.access_reviews"

    opened_at = tables.DateTimeColumn(verbose_name=_("Opened"), format="Y-m-d")
    due_at = tables.DateTimeColumn(verbose_name=_("Due"), format="Y-m-d")
    closed_at = tables.DateTimeColumn(verbose_name=_("Completed"), format="Y-m-d", default="—")

    class Meta(ListTable.Meta):
        attrs: ClassVar[dict[str, str]] = {"class": "list", "id": "reviews"}


def history_rows() -> QuerySet[RoleAssignment]:
    """Every role grant, with what its rows show."""
    return RoleAssignment.objects.select_related("user", "role", "department", "granted_by")


def review_rows() -> QuerySet[AccessReview]:
    """Every access review, newest first."""
    return AccessReview.objects.order_by("-opened_at")
