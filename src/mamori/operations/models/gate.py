"""Quality plans, the secure-coding standard, freeze windows and the deploy gate (SRM 15, 16,
18, 19, 20).

A :class:`QualityPlan` per system holds its criteria as data (:class:`QualityCriterion`); the
secure-coding standard is a versioned document (:class:`SecureCodingStandard`) that the person
responsible for a change attests to (:class:`SecureCodingAttestation`); a security review is
recorded by someone other than that person (:class:`SecurityReview`). The deploy gate answers
*go* or *no-go* for one artifact digest of a change and keeps every answer
(:class:`GateDecision`); an approved override (:class:`GateOverride`) is noted on the answer it
turned into a *go*. Deployments reported by the pipeline are kept (:class:`Deployment`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class QualityPlan(AuditedModel):
    """The quality plan of one system (SRM 16): the criteria its releases must meet."""

    system = models.OneToOneField(
        "operations.System",
        on_delete=models.PROTECT,
        related_name="quality_plan",
        verbose_name=_("system"),
    )
    notes = models.TextField(
        _("notes"),
        blank=True,
    )
    updated_at = models.DateTimeField(
        _("updated at"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["system__code"]
        verbose_name = _("quality plan")
        verbose_name_plural = _("quality plans")

    def __str__(self) -> str:
        return f"{self.system} quality plan"


class QualityCriterion(AuditedModel):
    """One criterion of a quality plan (SRM 16, 19-1): a metric, the level or name it is
    about, and its threshold (a maximum, or for coverage a minimum percentage)."""

    class Metric(models.TextChoices):
        TESTS_FAILED = "tests_failed", _("failed tests (failures + errors), at most")
        COVERAGE = "coverage", _("line coverage %, at least")
        VULNERABILITIES = "vulnerabilities", _("open vulnerabilities of a severity, at most")
        STATIC_ANALYSIS = "static_analysis", _("static-analysis findings of a level, at most")
        PERFORMANCE = "performance", _("performance budget: a named metric, at most")
        SECURITY_REVIEW = "security_review", _("security review done by someone else")

    plan = models.ForeignKey(
        QualityPlan,
        on_delete=models.CASCADE,
        related_name="criteria",
    )
    metric = models.CharField(
        _("metric"),
        max_length=20,
        choices=Metric.choices,
    )
    level = models.CharField(
        _("severity, level or metric name"),
        max_length=60,
        blank=True,
    )
    threshold = models.DecimalField(
        _("threshold"),
        max_digits=14,
        decimal_places=3,
        default=0,
    )

    class Meta:
        ordering = ["metric", "level"]
        verbose_name = _("quality criterion")
        verbose_name_plural = _("quality criteria")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "metric", "level"],
                name="operations_criterion_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric}{':' + self.level if self.level else ''} {self.threshold}"


class SecureCodingStandard(AuditedModel):
    """A version of the secure-coding standard (SRM 18): a new version supersedes the last."""

    version = models.PositiveIntegerField(
        _("version"),
        unique=True,
    )
    title = models.CharField(
        _("title"),
        max_length=200,
    )
    text = models.TextField(
        _("text"),
    )
    published_at = models.DateTimeField(
        _("published at"),
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("published by"),
    )
    superseded_at = models.DateTimeField(
        _("superseded at"),
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-version"]
        verbose_name = _("secure-coding standard")
        verbose_name_plural = _("secure-coding standards")

    def __str__(self) -> str:
        return f"v{self.version} {self.title}"


class SecureCodingAttestation(AuditedModel):
    """The responsible person's attestation that a change follows a version of the
    secure-coding standard (SRM 18)."""

    change = models.ForeignKey(
        "operations.Change",
        on_delete=models.PROTECT,
        related_name="attestations",
    )
    standard = models.ForeignKey(
        SecureCodingStandard,
        on_delete=models.PROTECT,
        related_name="attestations",
    )
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("attested by"),
    )
    attested_at = models.DateTimeField(
        _("attested at"),
    )
    statement = models.TextField(
        _("statement"),
        blank=True,
    )

    class Meta:
        ordering = ["-attested_at"]
        verbose_name = _("secure-coding attestation")
        verbose_name_plural = _("secure-coding attestations")
        constraints = [
            models.UniqueConstraint(
                fields=["change", "standard"],
                name="operations_attestation_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.change} v{self.standard.version}"


class SecurityReview(AuditedModel):
    """A security review of a change, by someone other than its responsible person (SRM 18,
    19-1)."""

    change = models.ForeignKey(
        "operations.Change",
        on_delete=models.PROTECT,
        related_name="security_reviews",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(
        _("reviewed at"),
    )
    notes = models.TextField(
        _("findings and notes"),
    )

    class Meta:
        ordering = ["-reviewed_at"]
        verbose_name = _("security review")
        verbose_name_plural = _("security reviews")

    def __str__(self) -> str:
        return f"{self.change} {self.reviewed_by}"


class FreezeWindow(AuditedModel):
    """A period in which no release reaches production, for some systems or all (SRM 17, 19)."""

    starts_at = models.DateTimeField(
        _("starts at"),
    )
    ends_at = models.DateTimeField(
        _("ends at"),
    )
    reason = models.CharField(
        _("reason"),
        max_length=300,
    )
    all_systems = models.BooleanField(
        _("all systems"),
        default=False,
    )
    systems = models.ManyToManyField(
        "operations.System",
        blank=True,
        related_name="freeze_windows",
        verbose_name=_("systems"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(
        _("created at"),
    )

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("freeze window")
        verbose_name_plural = _("freeze windows")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="operations_freeze_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%Y-%m-%d %H:%M}"


class GateOverride(AuditedModel):
    """An approved override of the deploy gate for one digest of a change, with its reason
    (SRM 19-2): used by the next gate answer for that digest, and named on it."""

    change = models.ForeignKey(
        "operations.Change",
        on_delete=models.PROTECT,
        related_name="gate_overrides",
    )
    artifact_digest = models.CharField(
        _("artifact digest"),
        max_length=100,
    )
    reason = models.TextField(
        _("reason"),
    )
    approval = models.OneToOneField(
        "accounts.ApprovalRequest",
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(
        _("approved at"),
    )

    class Meta:
        ordering = ["-approved_at"]
        verbose_name = _("gate override")
        verbose_name_plural = _("gate overrides")

    def __str__(self) -> str:
        return f"{self.change} {self.artifact_digest[:19]} override"


class GateDecision(AuditedModel):
    """One answer of the deploy gate for one artifact digest of a change (SRM 19, 20): *go*
    or *no-go* with every reason, who asked and when; an override that turned it into a *go*
    is named."""

    class Outcome(models.TextChoices):
        GO = "go", _("go")
        NO_GO = "no_go", _("no-go")

    change = models.ForeignKey(
        "operations.Change",
        on_delete=models.PROTECT,
        related_name="gate_decisions",
    )
    artifact_digest = models.CharField(
        _("artifact digest"),
        max_length=100,
    )
    outcome = models.CharField(
        _("outcome"),
        max_length=10,
        choices=Outcome.choices,
    )
    reasons = models.JSONField(
        _("reasons"),
        default=list,
    )
    override = models.OneToOneField(
        GateOverride,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="decision",
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("asked by"),
    )
    asked_by_token = models.ForeignKey(
        "accounts.ApiToken",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    asked_via = models.CharField(
        _("asked through"),
        max_length=10,
    )
    asked_at = models.DateTimeField(
        _("asked at"),
    )

    class Meta:
        ordering = ["-asked_at", "-pk"]
        verbose_name = _("gate decision")
        verbose_name_plural = _("gate decisions")
        indexes = [
            models.Index(fields=["artifact_digest", "outcome"], name="operations_gate_digest"),
        ]

    def __str__(self) -> str:
        return f"{self.change} {self.artifact_digest[:19]} {self.outcome}"


class Deployment(AuditedModel):
    """A deployment the pipeline reported (SRM 19, 20): environment, commit, digest, state."""

    environment = models.CharField(
        _("environment"),
        max_length=60,
    )
    commit = models.CharField(
        _("commit"),
        max_length=64,
        blank=True,
    )
    artifact_digest = models.CharField(
        _("artifact digest"),
        max_length=100,
    )
    state = models.CharField(
        _("state"),
        max_length=30,
    )
    source = models.CharField(
        _("reported by"),
        max_length=30,
    )
    external_id = models.CharField(
        _("the pipeline's deployment id"),
        max_length=100,
        blank=True,
    )
    change = models.ForeignKey(
        "operations.Change",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deployments",
    )
    at = models.DateTimeField(
        _("deployed at"),
    )
    recorded_at = models.DateTimeField(
        _("recorded at"),
    )

    class Meta:
        ordering = ["-at"]
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")

    def __str__(self) -> str:
        return f"{self.environment} {self.artifact_digest[:19]} {self.state}"
