"""The lists of people and their roles (:mod:`mamori.core.tables`): who works here, in which
department, holding which roles; who was granted which role when (SRM 8-5); the access
reviews (ISM 23-1-1/3)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import (
    AccessReview,
    AccessReviewItem,
    Department,
    Role,
    RoleAssignment,
    User,
)
from mamori.core.tables import ListFilter, ListTable

__all__ = [
    "AssignmentFilter",
    "AssignmentHistoryTable",
    "PeopleFilter",
    "PeopleTable",
    "ReviewItemsFilter",
    "ReviewItemsTable",
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

    user = tables.Column(
        verbose_name=_("Person"),
        order_by=("user__username",),
        linkify=lambda record: reverse("accounts:person_record", args=[record.user_id]),
    )
    role = tables.Column(
        verbose_name=_("Role"),
        order_by=("role__code",),
        linkify=lambda record: reverse("accounts:assignment", args=[record.pk]),
    )
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

    opened_at = tables.DateTimeColumn(
        verbose_name=_("Opened"),
        format="Y-m-d",
        linkify=lambda record: reverse("accounts:review", args=[record.pk]),
    )
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
