"""The people list: who works here, in which department, holding which roles
(:mod:`mamori.core.tables`)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
import django_tables2 as tables
from django.db.models import QuerySet
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models import Department, Role, User
from mamori.core.tables import ListFilter, ListTable

__all__ = ["PeopleFilter", "PeopleTable"]


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
