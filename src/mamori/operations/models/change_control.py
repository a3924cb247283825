"""The rules and records that keep a change under control (SRM 8-3, 11-3..5, 17, 20, 22).

- :class:`StageRule`: which approval entering a stage needs, per kind of change (the approval
  rules SRM 11-3 asks to be clear), as data; an emergency change's approvals may come after
  the fact, within :attr:`ChangeSetting.emergency_review_hours`.
- :class:`StagePlan`: the planned date of each stage and when it was reached (progress and
  slippage, SRM 11-4).
- :class:`StageApproval`: an approval asked for entering a stage, through the shared approvals.
- :class:`ChangeParticipant`: the user department's and the risk-management department's
  participant of a new or changed service, and their signature (SRM 8-3).
- :class:`PostChangeReview`: the quality after the change, signed by the system manager
  (SRM 22).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel
from mamori.operations.models.changes import Change


class ChangeSetting(AuditedModel):
    """The time limits of change control (SRM 17, 22). One row; without it the defaults."""

    emergency_review_hours = models.PositiveIntegerField(
        _("an emergency change is approved within (hours after release)"),
        default=72,
    )
    review_within_days = models.PositiveIntegerField(
        _("the post-change review is signed within (days after release)"),
        default=14,
    )

    class Meta:
        verbose_name = _("change-control setting")
        verbose_name_plural = _("change-control settings")


class StageRule(AuditedModel):
    """What entering ``stage`` needs for a change of ``kind`` (SRM 11-3)."""

    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=Change.Kind.choices,
    )
    stage = models.CharField(
        _("stage entered"),
        max_length=12,
        choices=Change.Stage.choices,
    )
    needs_approval = models.BooleanField(
        _("needs approval"),
        default=False,
    )
    policy = models.CharField(
        _("approval policy"),
        max_length=50,
        blank=True,
    )
    after_the_fact = models.BooleanField(
        _("may be approved after the fact"),
        default=False,
    )

    class Meta:
        ordering = ["kind", "stage"]
        verbose_name = _("stage rule")
        verbose_name_plural = _("stage rules")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "stage"],
                name="operations_stage_rule_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.stage}"


class StagePlan(AuditedModel):
    """The planned date of a stage of a change and when it was reached (SRM 11-4)."""

    change = models.ForeignKey(
        Change,
        on_delete=models.CASCADE,
        related_name="stage_plans",
    )
    stage = models.CharField(
        _("stage"),
        max_length=12,
        choices=Change.Stage.choices,
    )
    planned_on = models.DateField(
        _("planned on"),
        null=True,
        blank=True,
    )
    reached_at = models.DateTimeField(
        _("reached at"),
        null=True,
        blank=True,
    )
    reached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["change", "planned_on"]
        verbose_name = _("stage plan")
        verbose_name_plural = _("stage plans")
        constraints = [
            models.UniqueConstraint(
                fields=["change", "stage"],
                name="operations_stage_plan_once",
            ),
        ]


class StageApproval(AuditedModel):
    """An approval for entering a stage of a change, decided through the shared approvals
    (SRM 11-3)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    change = models.ForeignKey(
        Change,
        on_delete=models.CASCADE,
        related_name="stage_approvals",
    )
    stage = models.CharField(
        _("stage"),
        max_length=12,
        choices=Change.Stage.choices,
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.PENDING,
    )
    approval = models.ForeignKey(
        "accounts.ApprovalRequest",
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(
        _("requested at"),
    )
    approved_at = models.DateTimeField(
        _("approved at"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["change", "requested_at"]
        verbose_name = _("stage approval")
        verbose_name_plural = _("stage approvals")


class ChangeParticipant(AuditedModel):
    """A participant of a new or changed service from the user department or the
    risk-management department, and their signature (SRM 8-3)."""

    class Side(models.TextChoices):
        USER = "user", _("user department")
        RISK = "risk", _("risk-management department")

    change = models.ForeignKey(
        Change,
        on_delete=models.CASCADE,
        related_name="participants",
    )
    side = models.CharField(
        _("department side"),
        max_length=10,
        choices=Side.choices,
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("participant"),
    )
    signed_at = models.DateTimeField(
        _("signed at"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["change", "side"]
        verbose_name = _("change participant")
        verbose_name_plural = _("change participants")
        constraints = [
            models.UniqueConstraint(
                fields=["change", "side"],
                name="operations_change_participant_side",
            ),
        ]


class PostChangeReview(AuditedModel):
    """The quality after a change, seen from incidents and alerts on the touched systems, with
    its conclusion signed by their system managers (SRM 22)."""

    change = models.OneToOneField(
        Change,
        on_delete=models.CASCADE,
        related_name="post_review",
    )
    released_at = models.DateTimeField(
        _("released at"),
    )
    due_on = models.DateField(
        _("due on"),
    )
    conclusion = models.TextField(
        _("conclusion"),
        blank=True,
    )
    incidents = models.JSONField(
        _("incidents seen"),
        default=list,
        blank=True,
    )
    signatures = models.JSONField(
        _("signatures"),
        default=list,
        blank=True,
    )
    completed_at = models.DateTimeField(
        _("completed at"),
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("post-change review")
        verbose_name_plural = _("post-change reviews")
