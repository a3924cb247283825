"""Post-incident reviews (SRM 9, SRM 8-4; ISM 3): what caused the incident, what worked and
what did not, follow-up actions tracked until done, risks raised or re-rated in the risk
register and the lesson shared to the incident catalogue.

A review is required before a severe incident closes (:class:`ReviewSetting`, default S2 and
above); the commander, not the author, approves it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel
from mamori.operations.models.incidents import Incident


class ReviewSetting(AuditedModel):
    """From which severity a review is required before closing, and whether drills need one
    too (SRM 9). One row; without it the default is S2 and above, drills excluded."""

    min_severity = models.CharField(
        _("review required from severity"),
        max_length=2,
        choices=Incident.Severity.choices,
        default=Incident.Severity.S2,
    )
    drills = models.BooleanField(
        _("drills need a review too"),
        default=False,
    )

    class Meta:
        verbose_name = _("review setting")
        verbose_name_plural = _("review settings")


class PostIncidentReview(AuditedModel):
    """The review of one incident (SRM 9): cause, timeline, what worked and what did not."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted for approval")
        APPROVED = "approved", _("approved")

    incident = models.OneToOneField(
        Incident,
        on_delete=models.CASCADE,
        related_name="review",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    cause = models.TextField(
        _("cause"),
        blank=True,
    )
    timeline_summary = models.TextField(
        _("timeline summary"),
        blank=True,
    )
    worked = models.TextField(
        _("what worked"),
        blank=True,
    )
    did_not_work = models.TextField(
        _("what did not work"),
        blank=True,
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.DRAFT,
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(
        _("approved at"),
        null=True,
        blank=True,
    )
    lesson = models.ForeignKey(
        "risk.ExternalIncident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lesson in the incident catalogue"),
    )

    class Meta:
        verbose_name = _("post-incident review")
        verbose_name_plural = _("post-incident reviews")

    def __str__(self) -> str:
        return f"{self.incident.reference}"


class ReviewRisk(AuditedModel):
    """A risk the review raised or re-rated in the risk register (SRM 9, ISM 15)."""

    class Change(models.TextChoices):
        RAISED = "raised", _("raised")
        RERATED = "rerated", _("re-rated")

    review = models.ForeignKey(
        PostIncidentReview,
        on_delete=models.CASCADE,
        related_name="risks",
    )
    scenario = models.ForeignKey(
        "risk.RiskScenario",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("risk"),
    )
    change = models.CharField(
        _("change"),
        max_length=10,
        choices=Change.choices,
    )
    note = models.TextField(
        _("note"),
        blank=True,
    )

    class Meta:
        verbose_name = _("risk from a review")
        verbose_name_plural = _("risks from reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["review", "scenario"],
                name="review_risk_once",
            ),
        ]


class FollowUpAction(AuditedModel):
    """A follow-up action of a review or of a drill, tracked until done (SRM 9, SRM 5-2)."""

    review = models.ForeignKey(
        PostIncidentReview,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="actions",
    )
    drill = models.ForeignKey(
        "operations.PlanDrill",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="actions",
    )
    title = models.CharField(
        _("action"),
        max_length=300,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(
        _("due on"),
    )
    done_at = models.DateTimeField(
        _("done at"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["done_at", "due_on", "pk"]
        verbose_name = _("follow-up action")
        verbose_name_plural = _("follow-up actions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(review__isnull=False) | models.Q(drill__isnull=False),
                name="followup_has_origin",
            ),
        ]

    def __str__(self) -> str:
        return self.title
