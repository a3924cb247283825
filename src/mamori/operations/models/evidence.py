"""Builds and the evidence the delivery pipeline sends for them (SRM 15, 16, 18, 19).

A :class:`Build` is one artifact of a change, named by its commit and its artifact digest; the
deploy gate answers for exactly that digest. Each :class:`Evidence` row is one report the
pipeline sent for a build — a JUnit test report, a coverage report, a SARIF file, an SBOM, a
vulnerability report — stored as the digest of the bytes received and the summary the evidence
engine (``mamori.engines.evidence``) read from them. Summary keys by ``kind``:

- ``tests``: ``tests``, ``failures``, ``errors``, ``skipped`` (ints)
- ``coverage``: ``lines_covered``, ``lines_valid`` (ints; the rate is their quotient)
- ``static_analysis``: ``by_level`` {``error``, ``warning``, ``note``, ``none``: int}
- ``sbom``: ``components`` (int)
- ``performance``: ``metrics`` {name: decimal string} (recorded by hand on the gate page)
- ``vulnerabilities``: ``by_severity``
  {``critical``, ``high``, ``medium``, ``low``, ``unknown``: int}
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.auditlog.audited import AuditedModel


class Build(AuditedModel):
    """One artifact of a change: commit and artifact digest (SRM 19, 20)."""

    change = models.ForeignKey(
        "operations.Change",
        on_delete=models.PROTECT,
        related_name="builds",
    )
    commit = models.CharField(
        _("commit"),
        max_length=64,
    )
    artifact_digest = models.CharField(
        _("artifact digest"),
        max_length=100,
    )
    created_at = models.DateTimeField(
        _("first seen at"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("build")
        verbose_name_plural = _("builds")
        constraints = [
            models.UniqueConstraint(
                fields=["change", "artifact_digest"],
                name="operations_build_digest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.change} {self.artifact_digest[:19]}"


class Evidence(AuditedModel):
    """One report from the pipeline for a build, summarised (SRM 15, 16, 18, 19)."""

    class Kind(models.TextChoices):
        TESTS = "tests", _("test report")
        COVERAGE = "coverage", _("coverage")
        STATIC_ANALYSIS = "static_analysis", _("static analysis")
        SBOM = "sbom", _("software bill of materials")
        VULNERABILITIES = "vulnerabilities", _("vulnerability report")
        PERFORMANCE = "performance", _("performance measurement")

    build = models.ForeignKey(
        Build,
        on_delete=models.PROTECT,
        related_name="evidence",
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=Kind.choices,
    )
    format = models.CharField(
        _("format"),
        max_length=30,
    )
    sha256 = models.CharField(
        _("SHA-256 of the file"),
        max_length=64,
    )
    size = models.PositiveBigIntegerField(
        _("size (bytes)"),
    )
    summary = models.JSONField(
        _("summary"),
    )
    source = models.CharField(
        _("received through"),
        max_length=20,
    )
    received_at = models.DateTimeField(
        _("received at"),
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("pipeline evidence")
        verbose_name_plural = _("pipeline evidence")
        constraints = [
            models.UniqueConstraint(
                fields=["build", "sha256"],
                name="operations_evidence_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.build} {self.kind}"


class PipelineSource(AuditedModel):
    """A delivery pipeline (CI system) that posts signed evidence and deployment events
    (SRM 19, 20); its secret is kept encrypted and shown once when made or rotated."""

    code = models.SlugField(
        _("pipeline"),
        max_length=50,
        unique=True,
    )
    name = models.CharField(
        _("name"),
        max_length=200,
        blank=True,
    )
    secret_encrypted = models.TextField()
    rotated_at = models.DateTimeField(
        _("created or rotated"),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("pipeline source")
        verbose_name_plural = _("pipeline sources")

    def __str__(self) -> str:
        return self.code


class DeploymentEvent(AuditedModel):
    """A deployment the pipeline reported, in GitHub's or GitLab's shape, normalised
    (SRM 19, 20): what reached which environment, matched to a change by its build."""

    change = models.ForeignKey(
        "operations.Change",
        on_delete=models.PROTECT,
        related_name="deployment_events",
        null=True,
        blank=True,
    )
    system = models.CharField(
        _("repository or project"),
        max_length=300,
        blank=True,
    )
    environment = models.CharField(
        _("environment"),
        max_length=100,
    )
    commit = models.CharField(
        _("commit"),
        max_length=64,
    )
    artifact_digest = models.CharField(
        _("artifact digest"),
        max_length=100,
        blank=True,
    )
    state = models.CharField(
        _("state"),
        max_length=20,
    )
    source = models.CharField(
        _("sent by"),
        max_length=20,
    )
    deployed_at = models.DateTimeField(
        _("deployed at"),
    )
    received_at = models.DateTimeField(
        _("received at"),
    )
    sha256 = models.CharField(
        _("SHA-256 of the event"),
        max_length=64,
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("deployment event")
        verbose_name_plural = _("deployment events")
        constraints = [
            models.UniqueConstraint(
                fields=["sha256"],
                name="operations_deployment_event_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.environment} {self.commit[:12]} {self.state}"
