"""Departments, roles and who holds them (SRM 5–7, ISM 7–9)."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mamori.accounts.models.bilingual import BilingualName
from mamori.auditlog.audited import AuditedModel


class Department(BilingualName):
    """A department of the exchange; managers are named per department (SRM 7, ISM 9)."""

    code = models.SlugField(
        max_length=50,
        unique=True,
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")


class Role(BilingualName):
    """A role the rules put to work (SRM 5–7, ISM 7–9, ISM 23-1-3, ISM 31)."""

    code = models.SlugField(
        max_length=50,
        unique=True,
    )
    article = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("The articles that create this role."),
    )
    per_department = models.BooleanField(
        default=False,
        help_text=_("Whether the role is held for one department rather than company-wide."),
    )
    permissions = models.JSONField(
        default=list,
        blank=True,
        help_text=_("What holders of the role may do (permission codes)."),
    )
    grant_policy = models.CharField(
        max_length=50,
        blank=True,
        help_text=_("Approval policy a grant of this role needs (empty: none, e.g. ISM 31-4)."),
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")


class RoleAssignment(AuditedModel):
    """One person holding one role, company-wide or for one department; kept after revocation."""

    audit_values: ClassVar[tuple[str, ...]] = ("revoked_at",)  # History: before/after
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    role = models.ForeignKey(
        Role,
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
    )
    granted_at = models.DateTimeField(
        auto_now_add=True,
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "department"],
                condition=Q(revoked_at__isnull=True),
                name="accounts_roleassignment_one_active",
            ),
        ]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")

    def __str__(self) -> str:
        where = f" ({self.department})" if self.department_id else ""
        return f"{self.user} — {self.role}{where}"


class SegregationRule(BilingualName):
    """A segregation-of-duties rule kept as data (SRM 8-5, ISM 23-1-3, SRM 24)."""

    class Kind(models.TextChoices):
        EXCLUSIVE_ROLES = "exclusive_roles", _("roles that one person may not hold together")
        INDEPENDENT_OF_DEPARTMENT = (
            "independent_of_department",
            _("role that must be independent of the department it serves"),
        )

    code = models.SlugField(
        max_length=50,
        unique=True,
    )
    kind = models.CharField(
        max_length=40,
        choices=Kind.choices,
    )
    role_a = models.ForeignKey(
        Role,
        on_delete=models.PROTECT,
        related_name="+",
    )
    role_b = models.ForeignKey(
        Role,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    same_department = models.BooleanField(
        default=True,
    )
    article = models.CharField(
        max_length=100,
        blank=True,
    )
    active = models.BooleanField(
        default=True,
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("segregation rule")
        verbose_name_plural = _("segregation rules")
